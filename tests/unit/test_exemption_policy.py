"""A checklist says who may grant an exemption and for how long (``exemptions:``): a spec
naming anyone else as approver is refused, a window longer than ``max_duration`` is
refused, and an expiry far away buys no more than ``max_duration`` before it. The issue's
example: 20 waivers with ``approver: me`` and ``expires: 2999-12-31`` took a service from
L1 to L3."""

from __future__ import annotations

import textwrap
from datetime import date
from pathlib import Path

import yaml

from readiness.domain.model import Waiver
from readiness.spec.loader import load_catalog
from readiness.spec.overrides import effective_items

CHECKLIST = """
checklist: guarded
title: Guarded
levels: [{id: L0, name: Dev}, {id: L1, name: Prod}]
exemptions:
  approvers: [sre-lead@example.com]
  max_duration: 90d
  by_severity:
    critical: {max_duration: 30d}
sections:
  - id: s
    title: S
    items:
      - id: S1
        title: restore drill
        required_from: L1
        max_age: 7d
        evidence: {kind: document, params: {document: drill_report}}
        expectations:
          - expect_column_values_to_be_in_set: {column: outcome, value_set: [passed]}
      - id: S2
        title: key rotation
        severity: critical
        required_from: L1
        evidence: {kind: document, params: {document: drill_report}}
        expectations:
          - expect_column_values_to_be_in_set: {column: outcome, value_set: [passed]}
"""


def _load(tmp_path: Path, **spec: object) -> tuple[object, list[str]]:
    (tmp_path / "guarded.yaml").write_text(textwrap.dedent(CHECKLIST))
    doc = {
        "service": "svc",
        "owner_team": "team",
        "tracker_team": "TEAM",
        "target_level": "L1",
        "checklist": "guarded",
        **spec,
    }
    (tmp_path / "svc.yaml").write_text(yaml.safe_dump(doc))
    catalog = load_catalog([tmp_path / "guarded.yaml"], [tmp_path / "svc.yaml"])
    return catalog, [str(p) for p in catalog.problems]


def test_the_policy_is_read_with_a_stricter_rule_per_severity(tmp_path: Path) -> None:
    catalog, problems = _load(tmp_path)
    assert problems == []
    policy = catalog.checklists["guarded"].exemptions  # type: ignore[attr-defined]
    assert policy.rule("high").max_days == 90 and policy.rule("critical").max_days == 30
    assert policy.rule("critical").approvers == ("sre-lead@example.com",)


def test_self_granted_waivers_are_refused_naming_the_approver(tmp_path: Path) -> None:
    waivers = [
        {"item": "S1", "reason": "we say so", "approver": "me", "expires": "2999-12-31"}
    ] * 20
    catalog, problems = _load(tmp_path, waivers=waivers)
    assert "svc" not in catalog.specs  # type: ignore[attr-defined]
    assert len(problems) == 20
    assert (
        "waivers[19].approver: 'me' may not grant exemptions from checklist guarded"
        in (problems[19])
    )
    assert "expected one of ['sre-lead@example.com']" in problems[19]


def test_a_window_longer_than_max_duration_is_refused(tmp_path: Path) -> None:
    waiver = {"reason": "r", "approver": "sre-lead@example.com", "starts": "2026-11-01"}
    _catalog, problems = _load(
        tmp_path, waivers=[{**waiver, "item": "S2", "expires": "2026-12-15"}]
    )
    (problem,) = problems
    assert "waivers[0].expires: 2026-12-15 is 44 days after starts 2026-11-01" in problem
    assert "at most 30 days" in problem
    catalog, problems = _load(tmp_path, waivers=[{**waiver, "item": "S1", "expires": "2026-12-15"}])
    assert problems == [] and "svc" in catalog.specs  # type: ignore[attr-defined]


def test_a_far_expiry_buys_no_more_than_max_duration() -> None:
    waiver = Waiver(
        item="S1", reason="r", approver="sre-lead@example.com", expires=date(2999, 12, 31)
    )
    assert waiver.in_force(date(2026, 11, 20))  # no bound: the old behaviour
    assert not waiver.in_force(date(2026, 11, 20), max_days=90)
    assert waiver.in_force(date(2999, 10, 2), max_days=90)


def test_an_approved_weakening_override_is_bound_the_same_way(tmp_path: Path) -> None:
    override = {"max_age": "30d", "reason": "r", "expires": "2999-12-31"}
    _catalog, problems = _load(tmp_path, overrides={"S1": {**override, "approver": "me"}})
    assert any("overrides.S1.approver: 'me' may not grant" in p for p in problems)
    catalog, problems = _load(
        tmp_path, overrides={"S1": {**override, "approver": "sre-lead@example.com"}}
    )
    assert problems == []
    spec = catalog.specs["svc"]  # type: ignore[attr-defined]
    checklist = catalog.checklists["guarded"]  # type: ignore[attr-defined]

    def s1_max_age(on: date) -> object:
        return next(i for i, _na in effective_items(checklist, spec, on) if i.id == "S1").max_age

    assert str(s1_max_age(date(2026, 11, 20))) == "7 days, 0:00:00"  # 2999 is far: not yet
    assert str(s1_max_age(date(2999, 12, 1))) == "30 days, 0:00:00"


def test_a_store_waiver_by_someone_the_checklist_does_not_name_is_not_applied(
    tmp_path: Path,
) -> None:
    import json
    from datetime import UTC, datetime

    from readiness.evidence.store import open_store
    from readiness.pipeline.waivers import waivers_for

    catalog, _ = _load(tmp_path)
    spec = catalog.specs["svc"]  # type: ignore[attr-defined]
    checklist = catalog.checklists["guarded"]  # type: ignore[attr-defined]
    store = tmp_path / "evidence" / "svc" / "waiver"
    store.mkdir(parents=True)
    base = {
        "item": "S1",
        "reason": "r",
        "granted_at": "2026-11-05T10:00:00Z",
        "expires": "2026-12-15",
    }
    (store / "RISK-1.json").write_text(json.dumps({**base, "approver": "me"}))
    (store / "RISK-2.json").write_text(json.dumps({**base, "approver": "sre-lead@example.com"}))
    as_of = datetime(2026, 11, 20, tzinfo=UTC)
    waivers, warnings = waivers_for(spec, open_store(str(store.parent)), as_of, checklist)
    assert [w.source.rsplit("/", 1)[1] for w in waivers] == ["RISK-2.json"]
    (warning,) = warnings
    assert "RISK-1.json not applied: 'me' may not grant exemptions" in warning

"""A spec may only ask. A checklist says who may grant an exemption and for how long
(``exemptions:``); a waiver or a weakening override in a spec is a request with no effect
until someone the checklist names, other than the requester, grants it for no longer than
``max_duration``. The issue's example: 20 waivers with ``approver: me`` and ``expires:
2999-12-31`` took a service from L1 to L3."""

from __future__ import annotations

import json
import textwrap
from datetime import UTC, date, datetime
from pathlib import Path

import yaml

from readiness.domain.exemptions import ExemptionDecision
from readiness.domain.model import Waiver
from readiness.evidence.store import open_store
from readiness.pipeline.exemptions import exemptions_for
from readiness.spec.loader import load_catalog
from readiness.spec.overrides import effective_items, item_requests

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


def test_a_far_expiry_buys_no_more_than_max_duration() -> None:
    waiver = Waiver(
        item="S1", reason="r", approver="sre-lead@example.com", expires=date(2999, 12, 31)
    )
    assert waiver.in_force(date(2026, 11, 20))  # no bound: the old behaviour
    assert not waiver.in_force(date(2026, 11, 20), max_days=90)
    assert waiver.in_force(date(2999, 10, 2), max_days=90)


AS_OF = datetime(2026, 11, 20, tzinfo=UTC)


def _spec_and_checklist(tmp_path: Path, **spec: object) -> tuple[object, object]:
    catalog, problems = _load(tmp_path, **spec)
    assert problems == []
    return catalog.specs["svc"], catalog.checklists["guarded"]  # type: ignore[attr-defined]


def test_self_granted_waivers_load_as_requests_that_change_nothing(tmp_path: Path) -> None:
    waivers = [
        {"item": item, "reason": "we say so", "approver": "me", "expires": "2999-12-31"}
        for item in ("S1", "S2")
        for _ in range(10)
    ]
    catalog, problems = _load(tmp_path, waivers=waivers)
    assert problems == []
    spec = catalog.specs["svc"]  # type: ignore[attr-defined]
    (note,) = spec.deprecations
    assert "waivers[0], waivers[1]" in note and "approver in a spec grants nothing" in note
    found = exemptions_for(
        catalog.checklists["guarded"],
        spec,
        AS_OF,
        recorded=[],
        grants=None,  # type: ignore[attr-defined]
    )
    assert [s.state for s in found.states] == ["requested", "requested"]
    assert found.waivers == [] and found.granted == frozenset()
    assert "requested by team:team, not granted" in found.states[0].words()


def _decision(request_id: str, by: str, until: str, at: str = "2026-11-10") -> ExemptionDecision:
    return ExemptionDecision(
        request_id=request_id,
        decision="granted",
        by=by,
        at=datetime.fromisoformat(at).replace(tzinfo=UTC),
        until=date.fromisoformat(until),
        source="airflow:readiness__exemptions/r/t",
    )


def test_a_grant_counts_only_from_an_approver_other_than_the_requester(tmp_path: Path) -> None:
    spec, checklist = _spec_and_checklist(
        tmp_path,
        waivers=[
            {
                "item": "S1",
                "reason": "r",
                "expires": "2026-12-31",
                "requested_by": "sre-lead@example.com",
            }
        ],
    )
    (request,) = item_requests(checklist, spec)  # type: ignore[arg-type]

    def state(*decisions: ExemptionDecision) -> object:
        return exemptions_for(checklist, spec, AS_OF, recorded=decisions, grants=None).states[0]  # type: ignore[arg-type]

    own = state(_decision(request.id, "sre-lead@example.com", "2026-12-31"))
    assert own.state == "requested"  # type: ignore[attr-defined]
    assert "cannot grant their own request" in own.refused_grants[0][1]  # type: ignore[attr-defined]
    stranger = state(_decision(request.id, "someone@example.com", "2026-12-31"))
    assert "expected one of ['sre-lead@example.com']" in stranger.refused_grants[0][1]  # type: ignore[attr-defined]


def test_a_grant_longer_than_max_duration_is_refused_and_a_grant_lapses(tmp_path: Path) -> None:
    checklist_text = CHECKLIST.replace(
        "approvers: [sre-lead@example.com]", "approvers: [sre-lead@example.com, sec@example.com]"
    )
    (tmp_path / "guarded.yaml").write_text(textwrap.dedent(checklist_text))
    doc = {
        "service": "svc",
        "owner_team": "team",
        "tracker_team": "TEAM",
        "target_level": "L1",
        "checklist": "guarded",
        "requested_by": None,
    }
    doc.pop("requested_by")
    doc["waivers"] = [{"item": "S2", "reason": "r", "expires": "2027-06-30"}]
    (tmp_path / "svc.yaml").write_text(yaml.safe_dump(doc))
    catalog = load_catalog([tmp_path / "guarded.yaml"], [tmp_path / "svc.yaml"])
    spec, checklist = catalog.specs["svc"], catalog.checklists["guarded"]
    (request,) = item_requests(checklist, spec)
    too_long = _decision(request.id, "sec@example.com", "2026-12-15")  # S2 critical: 30 days
    found = exemptions_for(checklist, spec, AS_OF, recorded=[too_long], grants=None)
    assert found.states[0].state == "requested"
    assert (
        "a grant of 35 days (until 2026-12-15) is longer than the 30 days"
        in (found.states[0].refused_grants[0][1])
    )
    fine = _decision(request.id, "sec@example.com", "2026-12-01")
    found = exemptions_for(checklist, spec, AS_OF, recorded=[too_long, fine], grants=None)
    assert found.states[0].state == "granted"
    (waiver,) = found.waivers
    assert (waiver.approver, waiver.starts, waiver.expires) == (
        "sec@example.com",
        date(2026, 11, 10),
        date(2026, 12, 1),
    )
    later = datetime(2026, 12, 2, tzinfo=UTC)
    lapsed = exemptions_for(checklist, spec, later, recorded=[fine], grants=None)
    assert lapsed.states[0].state == "lapsed" and lapsed.waivers == []
    before = datetime(2026, 11, 9, tzinfo=UTC)  # a backfill before the grant sees none
    assert (
        exemptions_for(checklist, spec, before, recorded=[fine], grants=None).states[0].state
        == "requested"
    )


def test_a_weakening_override_applies_only_once_granted(tmp_path: Path) -> None:
    override = {"max_age": "30d", "reason": "drills move to monthly", "expires": "2026-12-31"}
    spec, checklist = _spec_and_checklist(tmp_path, overrides={"S1": override})
    (request,) = item_requests(checklist, spec)  # type: ignore[arg-type]
    assert request.kind == "max_age" and "max_age 7d → 30d" in request.change

    def s1_max_age(granted: frozenset[str]) -> object:
        items = effective_items(checklist, spec, AS_OF.date(), granted)  # type: ignore[arg-type]
        return next(i for i, _na in items if i.id == "S1").max_age

    assert str(s1_max_age(frozenset())) == "7 days, 0:00:00"
    assert str(s1_max_age(frozenset({request.id}))) == "30 days, 0:00:00"
    _catalog, problems = _load(tmp_path, overrides={"S1": {"max_age": "30d"}})
    assert any(
        "is a request until an approver grants it; expected a reason and expires" in p
        for p in problems
    )


def test_grants_come_from_the_exemptions_root_never_the_teams_store(tmp_path: Path) -> None:
    spec, checklist = _spec_and_checklist(tmp_path)
    base = {
        "item": "S1",
        "reason": "r",
        "granted_at": "2026-11-05T10:00:00Z",
        "expires": "2026-12-15",
    }
    team = tmp_path / "evidence" / "svc" / "waiver"
    team.mkdir(parents=True)
    (team / "RISK-1.json").write_text(json.dumps({**base, "approver": "sre-lead@example.com"}))
    register = tmp_path / "exemptions" / "svc" / "waiver"
    register.mkdir(parents=True)
    (register / "RISK-2.json").write_text(json.dumps({**base, "approver": "me"}))
    (register / "RISK-3.json").write_text(
        json.dumps({**base, "approver": "sre-lead@example.com", "reference": "RISK-3"})
    )
    found = exemptions_for(
        checklist,
        spec,
        AS_OF,  # type: ignore[arg-type]
        recorded=[],
        grants=open_store(str(register.parent)),
        store=open_store(str(team.parent)),
    )
    assert [w.source.rsplit("/", 1)[1] for w in found.waivers] == ["RISK-3.json"]
    assert any("grant nothing" in w and "exemptions_root" in w for w in found.warnings)
    refused = [s for s in found.states if s.refused_grants]
    assert "me may not grant this exemption" in refused[0].refused_grants[0][1]

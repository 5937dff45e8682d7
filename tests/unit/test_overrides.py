"""A service spec can never weaken the checklist it is held to: it sets only the params the
checklist declares overridable (thresholds only in the stricter direction), and a weaker
rule needs the checklist's permission or, as a request, someone else's grant. Every
override shows."""

from __future__ import annotations

import textwrap
from datetime import date
from pathlib import Path

import pytest

from readiness.spec.loader import load_catalog
from readiness.spec.overrides import effective_items, item_requests

CHECKLIST = """
checklist: guarded
title: Guarded
levels: [{id: L0, name: Dev}, {id: L1, name: Staging}, {id: L2, name: Prod}]
defaults:
  overridable: {params: {paths: any}}
sections:
  - id: s
    title: S
    items:
      - id: S1
        title: no secrets in the repository
        required_from: L1
        max_age: 7d
        evidence: {kind: repo_grep, params: {pattern: "AKIA[0-9A-Z]{16}", paths: ["**/*"]}}
        expectations:
          - expect_table_row_count_to_equal: {value: 0}
      - id: SLO1
        title: availability budget
        required_from: L1
        evidence: {kind: slo_budget, params: {slo: availability, min_coverage: 0.9}}
        overridable: {params: {min_coverage: min}}
        expectations:
          - expect_column_values_to_be_between: {column: budget_remaining, min_value: 0}
      - id: SO1
        title: SRE sign-off
        required_from: L1
        evidence: {kind: attestation, params: {roles: [SRE], valid_for: 90d}}
        overridable: {params: {valid_for: max}}
        expectations:
          - expect_column_values_to_not_be_null: {column: signer}
      - id: AI6
        title: model rollback drill
        required_from: L2
        overridable: {not_applicable: true}
        evidence: {kind: document, params: {document: drill_report}}
        expectations:
          - expect_column_values_to_be_in_set: {column: outcome, value_set: [passed]}
"""

SPEC = """
service: svc
owner_team: team
tracker_team: TEAM
target_level: L2
checklist: guarded
overrides:
{overrides}
"""


def _load(tmp_path: Path, overrides: str) -> tuple[object, list[str]]:
    (tmp_path / "guarded.yaml").write_text(textwrap.dedent(CHECKLIST))
    spec = tmp_path / "svc.yaml"
    spec.write_text(textwrap.dedent(SPEC).format(overrides=textwrap.indent(overrides, "  ")))
    catalog = load_catalog([tmp_path / "guarded.yaml"], [spec])
    return catalog, [str(p) for p in catalog.problems]


@pytest.mark.parametrize(
    ("overrides", "field", "expected"),
    [
        # the example: a secrets-scan regex that never matches
        ('S1: {params: {pattern: "(?!)"}}', "S1.params.pattern", "does not let a service set"),
        ("SLO1: {params: {min_coverage: 0.5}}", "SLO1.params.min_coverage", "may only be raised"),
        ("S1: {not_applicable: not ours}", "S1.not_applicable", "expected a reason and expires"),
        ("S1: {max_age: 30d}", "S1.max_age", "expected a reason and expires"),
        ("S1: {required_from: L2}", "S1.required_from", "is a request until an approver grants it"),
        # durations by value, not as text: "100d" and "120d" sort below "90d"
        ("SO1: {params: {valid_for: 100d}}", "SO1.params.valid_for", "may only be lowered"),
        ("SO1: {params: {valid_for: 120d}}", "SO1.params.valid_for", "may only be lowered"),
        # a number against a duration, or a number written as text, is refused
        ("SO1: {params: {valid_for: 30}}", "SO1.params.valid_for", "may only be lowered"),
        ('SLO1: {params: {min_coverage: "0.95"}}', "SLO1.params.min_coverage", "may only be"),
    ],
)
def test_a_weakening_override_is_a_named_error(
    tmp_path: Path, overrides: str, field: str, expected: str
) -> None:
    catalog, problems = _load(tmp_path, overrides)
    assert "svc" not in catalog.specs  # type: ignore[attr-defined]
    (message,) = problems
    assert "svc.yaml" in message and f"overrides.{field}" in message and expected in message


def test_stricter_and_permitted_overrides_load_and_say_what_they_change(tmp_path: Path) -> None:
    catalog, problems = _load(
        tmp_path,
        "S1: {params: {paths: [src/**]}, max_age: 1d, required_from: L0}\n"
        "SLO1: {params: {min_coverage: 0.99}}\n"
        "SO1: {params: {valid_for: 30d}}\n"
        "AI6: {not_applicable: serves no model}\n",
    )
    assert problems == []
    overrides = catalog.specs["svc"].overrides  # type: ignore[attr-defined]
    assert overrides["S1"].description == (
        "paths ['**/*'] → ['src/**']; max_age 7d → 1d; required from L1 → L0"
    )
    assert overrides["SLO1"].description == "min_coverage 0.9 → 0.99"
    assert overrides["AI6"].description == (
        "not applicable: serves no model; permitted by checklist guarded"
    )


def test_a_weakening_is_a_request_that_applies_only_while_granted(tmp_path: Path) -> None:
    catalog, problems = _load(
        tmp_path,
        "S1:\n  max_age: 30d\n  approver: ciso@example.com\n  reason: scanner migration\n"
        "  expires: 2026-12-31\n  reference: RISK-7\n",
    )
    assert problems == []
    spec = catalog.specs["svc"]  # type: ignore[attr-defined]
    checklist = catalog.checklist_for(spec)  # type: ignore[attr-defined]
    assert "requested until 2026-12-31" in spec.overrides["S1"].description
    assert "approver in a spec grants nothing" in spec.deprecations[0]
    (request,) = item_requests(checklist, spec)

    def s1_max_age(granted: frozenset[str]) -> object:
        items = effective_items(checklist, spec, date(2026, 12, 1), granted)
        return next(i for i, _na in items if i.id == "S1").max_age

    assert str(s1_max_age(frozenset())) == "7 days, 0:00:00"  # the approver it names: nothing
    assert str(s1_max_age(frozenset({request.id}))) == "30 days, 0:00:00"


def test_every_override_shows_in_history_status_the_report_and_oscal(tmp_path: Path) -> None:
    """maintenance-service runs AI6 as not applicable (its checklist permits it): history
    records how, and ``status``, the quarterly report and the OSCAL export say so."""
    from datetime import UTC, datetime

    from readiness.audit.oscal import assessment_results
    from readiness.audit.reports.quarterly import build_quarter_report
    from readiness.audit.reports.render import render_markdown
    from readiness.history import RunMeta, history_for
    from readiness.pipeline.engine import evaluate
    from readiness.spec.config import Settings

    root = Path(__file__).resolve().parents[2]
    settings = Settings(
        project_root=root,
        history=f"duckdb://{tmp_path}/history.duckdb",
        outbox=str(tmp_path / "outbox"),
        collect_workers=1,
    )
    as_of = datetime(2026, 11, 20, 6, tzinfo=UTC)
    report = evaluate(settings, services=["maintenance-service"], as_of=as_of, meta=RunMeta("r"))
    (ai6,) = [r for r in report.evaluations[0].items if r.item.id == "AI6"]
    expected = "permitted by checklist maintenance-cutover"
    assert ai6.status.value == "not_applicable" and expected in ai6.override
    assert [r.item.id for r in report.evaluations[0].items if r.override] == ["AI6"]

    history = history_for(settings)
    snapshot = history.snapshot("maintenance-service")
    assert snapshot is not None
    assert [(r["item_id"], expected in r["spec_override"]) for r in snapshot.overridden] == [
        ("AI6", True)
    ]
    later = as_of.replace(hour=7)
    markdown = render_markdown(build_quarter_report(history, "2026Q4", now=later))
    assert "### Rules changed by the service spec" in markdown
    assert "permitted by checklist maintenance\\-cutover" in markdown  # Markdown-escaped
    oscal = assessment_results(history, "maintenance-service")
    props = [
        p["value"]
        for result in oscal["assessment-results"]["results"]
        for obs in result["observations"]
        for p in obs.get("props", [])
        if p["name"] == "spec-override"
    ]
    assert len(props) == 1 and expected in props[0]


def test_a_spec_store_outside_the_project_is_a_named_problem_and_the_rest_runs(
    tmp_path: Path,
) -> None:
    """A spec whose evidence store is /etc would have the document collector copy what it
    finds there into history; that service does not run, every other one does."""
    import shutil
    from datetime import UTC, datetime

    from readiness.history import RunMeta
    from readiness.pipeline.engine import evaluate
    from readiness.spec.config import Settings

    root = Path(__file__).resolve().parents[2]
    services = tmp_path / "services"
    shutil.copytree(root / "services", services)
    spec = services / "maintenance-service.yaml"
    spec.write_text(spec.read_text().replace("evidence:\n", "evidence:\n  store: /etc\n", 1))
    settings = Settings(
        project_root=root,
        services=[str(services)],
        evidence_root="samples/evidence",
        history=f"duckdb://{tmp_path}/history.duckdb",
        outbox=str(tmp_path / "outbox"),
        collect_workers=1,
    )
    as_of = datetime(2026, 11, 20, 6, tzinfo=UTC)
    report = evaluate(settings, as_of=as_of, meta=RunMeta("r"), dry_run=True)
    assert [ev.service for ev in report.evaluations] == ["file-storage-service"]
    (problem,) = [str(p) for p in report.problems]
    assert "maintenance-service.yaml" in problem and "evidence.store" in problem
    assert "'/etc' is not maintenance-service's own store" in problem

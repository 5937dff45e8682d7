"""Issues that nothing would ever close: one for an item that left the checklist, and those
of a retired service (no spec names it). Each closes with a comment that says why; a
spec that only fails to load is not a retirement."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from readiness.domain.model import Evidence, ExpectationOutcome, Section
from readiness.history import RunMeta
from readiness.history.duckdb_store import DuckDBHistory
from readiness.lifecycle.issues import close_retired
from readiness.pipeline.engine import ServicePlan, record, sync
from readiness.pipeline.exemptions import Exemptions
from readiness.pipeline.score import task_key
from readiness.pipeline.validation import TaskResult
from readiness.spec.loader import load_catalog
from readiness.testing.trackers import CHECKLIST, ITEM, SPEC, T0, actions, run_day
from readiness.trackers.outbox.tracker import OutboxTracker


def _opened(tmp_path: Path) -> tuple[DuckDBHistory, OutboxTracker]:
    history = DuckDBHistory(tmp_path / "h.duckdb")
    tracker = OutboxTracker(tmp_path / "outbox")
    run_day(history, tracker, 0, "passed")
    assert actions(run_day(history, tracker, 1, "skipped")) == ["open OUT-1"]
    return history, tracker


def test_an_issue_for_an_item_that_left_the_checklist_is_closed(tmp_path: Path) -> None:
    history, tracker = _opened(tmp_path)
    # version 2 of the checklist replaces RP3 by RP4
    rp4 = replace(ITEM, id="RP4", title="Restore drill, monthly")
    checklist = replace(CHECKLIST, version="2", sections=(Section("recovery", "Recovery", (rp4,)),))
    as_of = T0 + timedelta(days=2)
    evidence = Evidence([{"outcome": "passed"}], ("outcome",), "mem://d", "ab" * 32, as_of, as_of)
    passed = ExpectationOutcome("expect_column_values_to_be_in_set", {}, True, 0, [], {})
    ev = ServicePlan(SPEC, checklist, ((rp4, None),)).score(
        history,
        run_id="svc@day2",
        as_of=as_of,
        evidence={"RP4": evidence},
        validated={task_key("svc", "RP4"): TaskResult([passed])},
        exemptions=Exemptions(),
        grace_runs=2,
    )
    record(history, [ev], RunMeta(run_key="day2"))
    assert actions(sync(history, tracker, ev)) == ["close OUT-1"]
    (issue,) = tracker.issues()
    assert issue["state"] == "closed"
    (comment,) = tracker.comments("OUT-1")[-1:]
    assert "RP3" in comment and "no longer in checklist" in comment and "version 2" in comment
    (link,) = history.links("svc")
    assert (link.state, link.closed_reason) == ("closed", "item_removed")
    # and the next run has nothing left to do
    assert actions(sync(history, tracker, ev)) == []


def test_a_retired_services_issues_are_closed_and_a_broken_spec_is_not_retired(
    tmp_path: Path,
) -> None:
    history, tracker = _opened(tmp_path)
    assert close_retired(history, tracker, {"svc"}, T0, "run-1").closed == []
    # a spec of svc that no longer loads still names it
    services = tmp_path / "services"
    services.mkdir()
    (services / "renamed.yaml").write_text("service: svc\nowner_team: [unclosed\n")
    catalog = load_catalog([], [services])
    assert "svc" in catalog.named_services
    assert close_retired(history, tracker, catalog.named_services, T0, "run-1").closed == []
    # gone for good
    report = close_retired(history, tracker, {"other-service"}, T0 + timedelta(days=3), "run-2")
    assert report.closed == ["OUT-1"]
    assert "is retired" in tracker.comments("OUT-1")[-1]
    (link,) = history.links("svc")
    assert (link.state, link.closed_reason) == ("closed", "service_retired")
    assert close_retired(history, tracker, {"other-service"}, T0, "run-3").closed == []

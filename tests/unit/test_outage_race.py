"""Two runs that score an outage from one prior state (the quarterly revalidation and the
daily run at the same hour) open one outage issue, not two: the outage's episode is named
after the state it began from, as a regression's is."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from readiness.domain.model import Evidence, ServiceEvaluation
from readiness.history import HistoryStore, RunMeta
from readiness.history.duckdb_store import DuckDBHistory
from readiness.lifecycle.outages import sync_outages
from readiness.pipeline.engine import ServicePlan, record, sync
from readiness.pipeline.exemptions import Exemptions
from readiness.testing.trackers import CHECKLIST, ITEM, SPEC, T0, actions, run_day
from readiness.trackers import SyncReport
from readiness.trackers.outbox.tracker import OutboxTracker

STORE = "gs://evidence/svc"


def _unreachable(
    history: HistoryStore, day: int, run_key: str, hours: int = 0
) -> ServiceEvaluation:
    as_of = T0 + timedelta(days=day, hours=hours)
    evidence = replace(
        Evidence.failed(STORE, as_of, "connection refused", transient=True), outage=STORE
    )
    plan = ServicePlan(SPEC, CHECKLIST, ((ITEM, None),))
    return plan.score(
        history,
        run_id=f"svc@{run_key}",
        as_of=as_of,
        evidence={"RP3": evidence},
        validated={},
        exemptions=Exemptions(),
        grace_runs=2,
    )


def test_racing_runs_from_one_prior_state_open_one_outage_issue(tmp_path: Path) -> None:
    history = DuckDBHistory(tmp_path / "h.duckdb")
    tracker = OutboxTracker(tmp_path / "outbox")
    assert actions(run_day(history, tracker, 0, "passed")) == []
    for day in (1, 2):  # within the error grace: no issue yet
        ev = _unreachable(history, day, f"day{day}")
        record(history, [ev], RunMeta(run_key=f"day{day}"))
        assert actions(sync(history, tracker, ev)) == []
    daily = _unreachable(history, 3, "daily")
    quarterly = _unreachable(history, 3, "quarterly", hours=1)
    record(history, [daily], RunMeta(run_key="daily"))
    record(history, [quarterly], RunMeta(run_key="quarterly", trigger="quarterly"))
    # the interleaving: both read the service's links before either saved its own
    links = history.links("svc")
    first, second = SyncReport(), SyncReport()
    sync_outages(daily, links, history, tracker, first)
    sync_outages(quarterly, links, history, tracker, second)
    assert first.opened == ["OUT-1"] and second.opened in ([], ["OUT-1"])
    assert [i["issue_key"] for i in tracker.issues()] == ["OUT-1"]
    # and the next run, still down, finds that one issue
    assert actions(sync(history, tracker, _unreachable(history, 4, "day4"))) in (
        [],
        ["comment OUT-1"],
    )
    assert len(tracker.issues()) == 1

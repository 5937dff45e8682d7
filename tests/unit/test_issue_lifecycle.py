"""The issue lifecycle against the real outbox and DuckDB history (the Linear tracker runs
the same scenario in ``trackers/linear/test_linear.py``)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from readiness.domain.model import Waiver
from readiness.history import RunMeta
from readiness.history.duckdb_store import DuckDBHistory
from readiness.pipeline.engine import record, sync
from readiness.testing.trackers import actions, run_day, score_day
from readiness.trackers.outbox.tracker import OutboxTracker


def test_lifecycle(tmp_path: Path) -> None:
    history = DuckDBHistory(tmp_path / "h.duckdb")
    tracker = OutboxTracker(tmp_path / "outbox")

    def run(day: int, outcome: str, waivers: tuple[Waiver, ...] = ()) -> list[str]:
        return actions(run_day(history, tracker, day, outcome, waivers))

    assert run(0, "passed") == []
    assert run(1, "failed") == ["open OUT-1"]
    assert run(2, "failed") == []  # still failing, same reason: silent
    assert run(3, "aborted") == ["comment OUT-1"]  # reason changed
    assert run(4, "passed") == ["close OUT-1"]
    assert run(5, "failed") == ["open OUT-2"]  # a new episode
    second = tracker.issues()[1]
    assert "Previous episode: OUT\\-1" in second["body"]
    waiver = Waiver(
        item="RP3",
        reason="accepted: drill lab down",
        approver="cto@example.com",
        expires=date(2026, 12, 31),
    )
    assert run(6, "failed", (waiver,)) == ["close OUT-2"]
    issues = tracker.issues()
    assert [(i["issue_key"], i["state"], i["accepted_risk"]) for i in issues] == [
        ("OUT-1", "closed", 0),
        ("OUT-2", "closed", 1),
    ]
    assert "accepted risk" in tracker.comments("OUT-2")[-1]
    links = history.links("svc")
    assert [(lk.issue_key, lk.closed_reason) for lk in links] == [
        ("OUT-1", "remediated"),
        ("OUT-2", "accepted_risk"),
    ]
    # the waiver expires: a waived item failing again is a new regression
    assert run(61, "failed") == ["open OUT-3"]


def test_a_daily_and_a_quarterly_run_racing_from_one_prior_state_file_one_issue(
    tmp_path: Path,
) -> None:
    """Both runs score before either records (the quarterly revalidation and the daily DAG
    at the same hour). Their regression is one episode, named after the state both
    regressed from, so the second sync finds the first one's issue: nothing is superseded,
    nothing is opened twice."""
    history = DuckDBHistory(tmp_path / "h.duckdb")
    tracker = OutboxTracker(tmp_path / "outbox")
    assert actions(run_day(history, tracker, 0, "passed")) == []
    daily = score_day(history, 1, "failed", run_key="daily")
    quarterly = score_day(history, 1, "failed", run_key="quarterly", hours=1)
    assert daily.items[0].episode_id == quarterly.items[0].episode_id
    record(history, [daily], RunMeta(run_key="daily"))
    assert actions(sync(history, tracker, daily)) == ["open OUT-1"]
    record(history, [quarterly], RunMeta(run_key="quarterly", trigger="quarterly"))
    assert actions(sync(history, tracker, quarterly)) == []
    assert [(i["issue_key"], i["state"]) for i in tracker.issues()] == [("OUT-1", "open")]
    # and the next day, still failing, stays silent on the same issue
    assert actions(run_day(history, tracker, 2, "failed")) == []

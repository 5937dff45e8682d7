"""The issue lifecycle against the real outbox and DuckDB history (the Linear tracker runs
the same scenario in ``trackers/linear/test_linear.py``)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from readiness.history.duckdb_store import DuckDBHistory
from readiness.model import Waiver
from readiness.trackers._testing import actions, run_day
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

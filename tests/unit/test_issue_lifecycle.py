"""The issue lifecycle against the real outbox and DuckDB history."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from readiness.engine import score_service, task_key
from readiness.history import RunMeta
from readiness.history.duckdb_store import DuckDBHistory
from readiness.issues import sync_issues
from readiness.model import (
    Checklist,
    Evidence,
    EvidenceSource,
    ExpectationOutcome,
    Item,
    Level,
    Section,
    ServiceSpec,
    Waiver,
)
from readiness.trackers.outbox.tracker import OutboxTracker
from readiness.validation import TaskResult

T0 = datetime(2026, 11, 1, tzinfo=UTC)
ITEM = Item(
    id="RP3",
    title="Restore drill",
    section="recovery",
    section_title="Recovery",
    required_from="L0",
    evidence=EvidenceSource(kind="document", params={}),
    expectations=(),
    severity="high",
)
CHECKLIST = Checklist(
    id="c",
    title="c",
    version="1",
    file="c.yaml",
    sha256="0",
    levels=(Level("L0", "Dev", 0), Level("L1", "Staging", 1)),
    sections=(Section("recovery", "Recovery", (ITEM,)),),
)
SPEC = ServiceSpec(
    service="svc",
    owner_team="t",
    linear_team="T",
    target_level="L1",
    checklist="c",
    file="svc.yaml",
    sha256="0",
)


def run(
    history: DuckDBHistory,
    tracker: OutboxTracker,
    day: int,
    outcome: str,
    waivers: tuple[Waiver, ...] = (),
) -> list[str]:
    as_of = T0 + timedelta(days=day)
    run_id = f"svc@day{day}"
    evidence = Evidence(
        rows=[{"outcome": outcome}],
        columns=("outcome",),
        uri="mem://d",
        sha256="ab" * 32,
        fetched_at=as_of,
        observed_at=as_of,
    )
    success = outcome == "passed"
    outcome_ = ExpectationOutcome(
        type="expect_column_values_to_be_in_set",
        kwargs={"column": "outcome", "value_set": ["passed"]},
        success=success,
        unexpected_count=0 if success else 1,
        unexpected_sample=[] if success else [outcome],
        observed={"element_count": 1, "unexpected_count": 0 if success else 1},
    )
    ev = score_service(
        run_id=run_id,
        spec=SPEC,
        checklist=CHECKLIST,
        as_of=as_of,
        items=[(ITEM, None)],
        evidence={"RP3": evidence},
        validated={task_key("svc", "RP3"): TaskResult([outcome_])},
        waivers=waivers,
        prior=history.prior_states("svc", as_of, run_id),
        previous_level=history.previous_level("svc", as_of, run_id),
        grace_runs=2,
    )
    history.write([ev], RunMeta(run_key=f"day{day}"))
    report = sync_issues(ev, history, tracker, run_id)
    return [
        *(f"open {k}" for k in report.opened),
        *(f"comment {k}" for k in report.commented),
        *(f"close {k}" for k in report.closed),
    ]


def test_lifecycle(tmp_path: Path) -> None:
    history = DuckDBHistory(tmp_path / "h.duckdb")
    tracker = OutboxTracker(tmp_path / "outbox")
    assert run(history, tracker, 0, "passed") == []
    assert run(history, tracker, 1, "failed") == ["open OUT-1"]
    assert run(history, tracker, 2, "failed") == []  # still failing, same reason: silent
    assert run(history, tracker, 3, "aborted") == ["comment OUT-1"]  # reason changed
    assert run(history, tracker, 4, "passed") == ["close OUT-1"]
    assert run(history, tracker, 5, "failed") == ["open OUT-2"]  # a new episode
    second = tracker.issues()[1]
    assert "Previous episode: OUT\\-1" in second["body"]
    waiver = Waiver(
        item="RP3",
        reason="accepted: drill lab down",
        approver="cto@example.com",
        expires=date(2026, 12, 31),
    )
    assert run(history, tracker, 6, "failed", (waiver,)) == ["close OUT-2"]
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
    assert run(history, tracker, 61, "failed") == ["open OUT-3"]

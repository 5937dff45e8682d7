"""A one-item service, scored day by day against real history, for the tracker tests: the
same scenario drives every tracker (outbox, Linear) through the issue lifecycle."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from readiness.domain.model import (
    Checklist,
    Evidence,
    EvidenceSource,
    ExpectationOutcome,
    Item,
    Level,
    Section,
    ServiceEvaluation,
    ServiceSpec,
    Waiver,
)
from readiness.history import HistoryStore, RunMeta
from readiness.pipeline.engine import ServicePlan, record, sync
from readiness.pipeline.score import task_key
from readiness.pipeline.validation import TaskResult
from readiness.trackers import IssueTracker, SyncReport

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
    remediation_days=14,
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
    tracker_team="T",
    target_level="L1",
    checklist="c",
    file="svc.yaml",
    sha256="0",
)


def score_day(
    history: HistoryStore,
    day: int,
    outcome: str,
    waivers: Sequence[Waiver] = (),
    *,
    run_key: str | None = None,
    hours: int = 0,
) -> ServiceEvaluation:
    """Score day ``day`` (plus ``hours``), whose drill report says ``outcome`` (``passed``
    passes), against history, recording nothing; the outcome text is the untrusted evidence
    that ends up in the issue."""
    as_of = T0 + timedelta(days=day, hours=hours)
    run_id = f"svc@{run_key or f'day{day}'}"
    evidence = Evidence(
        rows=[{"outcome": outcome}],
        columns=("outcome",),
        uri="mem://d",
        sha256="ab" * 32,
        fetched_at=as_of,
        observed_at=as_of,
    )
    success = outcome == "passed"
    result = ExpectationOutcome(
        type="expect_column_values_to_be_in_set",
        kwargs={"column": "outcome", "value_set": ["passed"]},
        success=success,
        unexpected_count=0 if success else 1,
        unexpected_sample=[] if success else [outcome],
        observed={"element_count": 1, "unexpected_count": 0 if success else 1},
    )
    plan = ServicePlan(SPEC, CHECKLIST, ((ITEM, None),))
    return plan.score(
        history,
        run_id=run_id,
        as_of=as_of,
        evidence={"RP3": evidence},
        validated={task_key("svc", "RP3"): TaskResult([result])},
        waivers=waivers,
        grace_runs=2,
    )


def evaluate_day(
    history: HistoryStore, day: int, outcome: str, waivers: Sequence[Waiver] = ()
) -> ServiceEvaluation:
    """Score and record day ``day``."""
    ev = score_day(history, day, outcome, waivers)
    record(history, [ev], RunMeta(run_key=f"day{day}"))
    return ev


def run_day(
    history: HistoryStore,
    tracker: IssueTracker,
    day: int,
    outcome: str,
    waivers: Sequence[Waiver] = (),
) -> SyncReport:
    ev = evaluate_day(history, day, outcome, waivers)
    return sync(history, tracker, ev)


def actions(report: SyncReport) -> list[str]:
    """``open KEY`` / ``comment KEY`` / ``close KEY``, in that order."""
    return [
        *(f"open {k}" for k in report.opened),
        *(f"comment {k}" for k in report.commented),
        *(f"close {k}" for k in report.closed),
    ]

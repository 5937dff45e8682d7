"""The tracker contract: a one-item service, scored day by day against real history, drives
every tracker (outbox, Linear, yours) through the issue lifecycle; ``TrackerContract`` holds
the tests every tracker's own test file subclasses."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Protocol

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
from readiness.pipeline.exemptions import Exemptions
from readiness.pipeline.score import task_key
from readiness.pipeline.validation import TaskResult
from readiness.trackers import IssueDocument, IssueTracker, SyncReport

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
        exemptions=Exemptions(waivers=list(waivers)),
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


# --------------------------------------------------------------------------- the contract


class TrackerWorld(Protocol):
    """A tracker under test and a way to look at what it holds, as its own API shows it."""

    #: The issue keys' prefix: ``OUT`` (``OUT-1``), ``T``.
    prefix: str

    def tracker(self) -> IssueTracker:
        """What one run gets (a fresh instance: lookups are cached per run)."""
        ...

    def state(self, key: str) -> str:
        """``open``, ``closed`` (remediated) or ``accepted_risk`` (closed by a waiver)."""
        ...

    def comments(self, key: str) -> list[str]: ...

    def body(self, key: str) -> str: ...

    def storm(self, calls: int) -> None:
        """Answer the next ``calls`` requests "rate limited" (``RateLimitedTrackerContract``)."""
        ...

    def calm(self) -> None: ...


AT = datetime(2026, 11, 27, 6, tzinfo=UTC)


def issue_document(episode: str = "ep-1") -> IssueDocument:
    return IssueDocument(
        episode_id=episode,
        service="svc",
        item_id="RP3",
        team_key="T",
        title="[readiness] svc RP3: Restore drill",
        body="body",
        labels=("service:svc", "readiness"),
        priority=2,
        at=AT,
    )


class TrackerContract:
    """The issue lifecycle every tracker keeps, written once: a tracker's tests subclass
    this (``class TestOutboxContract(TrackerContract)``) and give a ``world`` fixture. One
    issue per regression episode, silent while the reason holds, a comment when it
    changes, closed with the evidence that fixed it or as accepted risk, idempotent under
    retries, and racing runs share one issue; ``RateLimitedTrackerContract`` adds that a
    rate-limit storm leaves the work for the next run."""

    def test_the_lifecycle(self, world: TrackerWorld, tmp_path: Path) -> None:
        from readiness.history.duckdb_store import DuckDBHistory

        history = DuckDBHistory(tmp_path / "contract.duckdb")
        first, second = f"{world.prefix}-1", f"{world.prefix}-2"

        def run(day: int, outcome: str, waivers: tuple[Waiver, ...] = ()) -> list[str]:
            return actions(run_day(history, world.tracker(), day, outcome, waivers))

        assert run(0, "passed") == []
        assert run(1, "failed") == [f"open {first}"]
        assert world.state(first) == "open"
        assert run(2, "failed") == []  # still failing, same reason: silent
        assert run(3, "aborted") == [f"comment {first}"]  # the reason changed
        assert run(4, "passed") == [f"close {first}"]
        assert world.state(first) == "closed"
        assert "sha256: " + "ab" * 32 in world.comments(first)[-1]  # the evidence that fixed it
        assert run(5, "failed") == [f"open {second}"]  # a new episode links the previous one
        assert f"Previous episode: {world.prefix}\\-1" in world.body(second)
        waiver = Waiver(
            item="RP3",
            reason="accepted: drill lab down",
            approver="cto@example.com",
            expires=date(2026, 12, 31),
        )
        assert run(6, "failed", (waiver,)) == [f"close {second}"]
        assert world.state(second) == "accepted_risk"
        assert "accepted risk" in world.comments(second)[-1]
        assert [(lk.issue_key, lk.state, lk.closed_reason) for lk in history.links("svc")] == [
            (first, "closed", "remediated"),
            (second, "closed", "accepted_risk"),
        ]
        # the waiver expires: a waived item failing again is a new regression
        assert run(61, "failed") == [f"open {world.prefix}-3"]

    def test_opening_the_same_episode_twice_is_one_issue(self, world: TrackerWorld) -> None:
        first = world.tracker().open(issue_document())
        again = world.tracker().open(issue_document())  # a retried task: a new process
        assert again == first

    def test_a_retried_comment_is_posted_once(self, world: TrackerWorld) -> None:
        """A task killed after the comment but before its link was saved sends it again."""
        ref = world.tracker().open(issue_document())
        world.tracker().comment(ref, "still failing, for a new reason", at=AT)
        world.tracker().comment(ref, "still failing, for a new reason", at=AT)  # the retry
        assert world.comments(ref.issue_key).count("still failing, for a new reason") == 1
        later = AT.replace(day=28)  # a later run's comment, its moment in its body, is its own
        world.tracker().comment(ref, f"still failing, for a new reason ({later:%F})", at=later)
        assert len(world.comments(ref.issue_key)) == 2

    def test_racing_runs_from_one_prior_state_file_one_issue(
        self, world: TrackerWorld, tmp_path: Path
    ) -> None:
        """The quarterly revalidation and the daily DAG score before either records."""
        from readiness.history.duckdb_store import DuckDBHistory

        history = DuckDBHistory(tmp_path / "contract.duckdb")
        assert actions(run_day(history, world.tracker(), 0, "passed")) == []
        daily = score_day(history, 1, "failed", run_key="daily")
        quarterly = score_day(history, 1, "failed", run_key="quarterly", hours=1)
        assert daily.items[0].episode_id == quarterly.items[0].episode_id
        record(history, [daily], RunMeta(run_key="daily"))
        assert actions(sync(history, world.tracker(), daily)) == [f"open {world.prefix}-1"]
        record(history, [quarterly], RunMeta(run_key="quarterly", trigger="quarterly"))
        assert actions(sync(history, world.tracker(), quarterly)) == []
        assert world.state(f"{world.prefix}-1") == "open"
        # and the next day, still failing, stays silent on the same issue
        assert actions(run_day(history, world.tracker(), 2, "failed")) == []


class RateLimitedTrackerContract(TrackerContract):
    """The contract of a tracker behind an API with rate limits (Linear, Jira): a storm
    leaves the work for the next run. A tracker without one (the outbox's files) keeps the
    plain ``TrackerContract``."""

    def test_a_rate_limit_storm_leaves_the_work_for_the_next_run(
        self, world: TrackerWorld, tmp_path: Path
    ) -> None:
        from readiness.history.duckdb_store import DuckDBHistory

        history = DuckDBHistory(tmp_path / "contract.duckdb")
        run_day(history, world.tracker(), 0, "passed")
        world.storm(50)
        report = run_day(history, world.tracker(), 1, "failed")
        assert report.failed == ["RP3"] and report.opened == []
        world.calm()
        # the next run, still failing, sends what was pending
        assert actions(run_day(history, world.tracker(), 2, "failed")) == [f"open {world.prefix}-1"]

"""The Linear tracker against a local Linear built on Linear's published schema: every
document it sends validates, issues open exactly once, the lifecycle is the outbox's, and
rate limits, 5xx, hangs and a bad key are handled."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from graphql import parse, validate

from readiness.history.duckdb_store import DuckDBHistory
from readiness.testing.trackers import (
    RateLimitedTrackerContract,
    actions,
    evaluate_day,
    run_day,
)
from readiness.trackers import IssueDocument, TrackerError
from readiness.trackers.linear import SCHEMA_PATH
from readiness.trackers.linear import operations as ops
from readiness.trackers.linear.client import LinearClient, RetryPolicy
from readiness.trackers.linear.fake_server import FakeLinear, Fault, load_schema
from readiness.trackers.linear.tracker import LinearTracker, linear_uuid

SCHEMA = SCHEMA_PATH
KEY = "lin_api_test_key_0123456789"
FAST = RetryPolicy(attempts=4, base_delay_s=0.01, max_delay_s=0.05, timeout_s=2.0)


@pytest.fixture
def linear() -> Iterator[FakeLinear]:
    assert SCHEMA.exists(), f"Linear's schema is expected at {SCHEMA}"
    fake = FakeLinear(SCHEMA, api_key=KEY)
    fake.start()
    yield fake
    fake.stop()
    assert fake.rejected == [], "every document sent must validate against Linear's schema"


def tracker_for(fake: FakeLinear, key: str = KEY, policy: RetryPolicy = FAST) -> LinearTracker:
    """A fresh tracker is what one run gets (its lookups are cached per run)."""
    return LinearTracker(LinearClient(key, fake.url, policy=policy, sleep=lambda _s: None))


def doc(episode: str = "ep-1", item: str = "RP3", service: str = "svc") -> IssueDocument:
    return IssueDocument(
        episode_id=episode,
        service=service,
        item_id=item,
        team_key="STO",
        title=f"[readiness] {service} {item}: Restore drill",
        body="body",
        labels=(f"service:{service}", "readiness"),
        priority=2,
        due_date=date(2026, 12, 1),
    )


def test_every_document_validates_against_linears_schema() -> None:
    schema = load_schema(SCHEMA)
    for name, document in ops.ALL.items():
        parsed = parse(document)
        assert validate(schema, parsed) == [], name
        (definition,) = parsed.definitions
        assert definition.name is not None and definition.name.value == name  # type: ignore[attr-defined]


def test_the_fake_rejects_documents_the_schema_does_not_allow(linear: FakeLinear) -> None:
    client = LinearClient(KEY, linear.url, policy=FAST)
    with pytest.raises(TrackerError, match="Cannot query field"):
        client.execute('query Bad { issue(id: "x") { nonsense } }', {}, "Bad")
    assert linear.rejected and linear.rejected[0]["operation"] == "Bad"
    linear.rejected.clear()


def test_open_creates_one_issue_with_workspace_labels_created_once(linear: FakeLinear) -> None:
    tracker = tracker_for(linear)
    first = tracker.open(doc("ep-1", "RP3"))
    second = tracker.open(doc("ep-2", "RP4"))
    assert (first.issue_key, second.issue_key) == ("STO-1", "STO-2")
    assert sorted(lb["name"] for lb in linear.labels.values()) == ["readiness", "service:svc"]
    assert all(lb["teamId"] is None for lb in linear.labels.values())  # workspace labels
    assert linear.calls().count("ReadinessLabelCreate") == 2
    issue = linear.issues[first.issue_id]
    assert issue["priority"] == 2 and issue["dueDate"] == "2026-12-01"
    assert {linear.labels[i]["name"] for i in issue["labelIds"]} == {"readiness", "service:svc"}
    assert first.issue_id == linear_uuid("readiness-issue", "ep-1")
    assert re.fullmatch(
        r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", first.issue_id
    )
    # the next run finds the labels instead of creating them again
    tracker_for(linear).open(doc("ep-3", "RP5"))
    assert linear.calls().count("ReadinessLabelCreate") == 2


def test_a_retried_open_returns_the_issue_it_already_made(linear: FakeLinear) -> None:
    first = tracker_for(linear).open(doc())
    again = tracker_for(linear).open(doc())  # a retried task, a re-run: a new process
    assert again == first
    assert len(linear.issues) == 1
    assert linear.calls("mutation").count("ReadinessIssueCreate") == 1


def test_a_crash_between_create_and_record_files_no_second_issue(
    linear: FakeLinear, tmp_path: Path
) -> None:
    history = DuckDBHistory(tmp_path / "h.duckdb")
    assert actions(run_day(history, tracker_for(linear), 0, "passed")) == []
    ev = evaluate_day(history, 1, "failed")
    # the task created the issue in Linear, then died before recording the link
    from readiness.lifecycle.issues import issue_body, issue_title, priority, service_label

    (result,) = ev.items
    assert result.episode_id is not None
    tracker_for(linear).open(
        IssueDocument(
            episode_id=result.episode_id,
            service="svc",
            item_id="RP3",
            team_key="T",
            title=issue_title(ev, result),
            body=issue_body(ev, result),
            labels=(service_label("svc"), "readiness"),
            priority=priority(result, ev),
        )
    )
    assert history.links("svc") == []
    # its retry syncs the same evaluation: the issue is found, linked, not duplicated
    from readiness.lifecycle.issues import sync_issues

    report = sync_issues(ev, history, tracker_for(linear), ev.run_id)
    assert report.opened == ["T-1"]
    assert len(linear.issues) == 1
    assert [lk.issue_key for lk in history.links("svc")] == ["T-1"]


class LinearWorld:
    prefix = "T"

    def __init__(self, fake: FakeLinear) -> None:
        self.fake = fake

    def tracker(self) -> LinearTracker:
        return tracker_for(self.fake)

    def state(self, key: str) -> str:
        state = self.fake.state_of(key)
        return {"unstarted": "open", "completed": "closed", "canceled": "accepted_risk"}[state]

    def comments(self, key: str) -> list[str]:
        return list(self.fake.comments_on(key))

    def body(self, key: str) -> str:
        return str(
            next(i for i in self.fake.issues.values() if i["identifier"] == key)["description"]
        )

    def storm(self, calls: int) -> None:
        self.fake.faults.extend(Fault(status=429, code="RATELIMITED") for _ in range(calls))

    def calm(self) -> None:
        self.fake.faults.clear()


class TestLinearKeepsTheTrackerContract(RateLimitedTrackerContract):
    @pytest.fixture
    def world(self, linear: FakeLinear) -> LinearWorld:
        return LinearWorld(linear)


def test_a_steady_failure_sends_not_one_request_and_states_are_linears(
    linear: FakeLinear, tmp_path: Path
) -> None:
    history = DuckDBHistory(tmp_path / "h.duckdb")

    def run(day: int, outcome: str) -> list[str]:
        return actions(run_day(history, tracker_for(linear), day, outcome))

    assert run(0, "passed") == [] and run(1, "failed") == ["open T-1"]
    assert linear.state_of("T-1") == "unstarted"
    before = len(linear.requests)
    assert run(2, "failed") == []  # steady state: silent, and not one request
    assert len(linear.requests) == before
    assert run(4, "passed") == ["close T-1"]
    assert linear.state_of("T-1") == "completed"
    assert "Remediated" in linear.comments_on("T-1")[-1]
    assert [(lk.tracker, lk.issue_key) for lk in history.links("svc")] == [("linear", "T-1")]


def test_untrusted_evidence_cannot_inject_mentions_links_or_images(
    linear: FakeLinear, tmp_path: Path
) -> None:
    history = DuckDBHistory(tmp_path / "h.duckdb")
    run_day(history, tracker_for(linear), 0, "passed")
    hostile = "@channel [click](https://evil.example) ![x](https://evil.example/p.png) ```"
    assert actions(run_day(history, tracker_for(linear), 1, hostile)) == ["open T-1"]
    (issue,) = linear.issues.values()
    body = issue["description"]
    outside_code = re.sub(r"(`{3,})text\n.*?\n\1", "", body, flags=re.S)
    assert "@channel" not in outside_code
    assert "](https://evil" not in outside_code and "![" not in outside_code


def test_rate_limits_and_server_errors_are_retried_with_backoff(linear: FakeLinear) -> None:
    linear.faults.extend(
        [
            Fault(status=429, code="RATELIMITED", headers={"Retry-After": "0"}),
            Fault(status=400, code="RATELIMITED", headers={"X-RateLimit-Requests-Reset": "0"}),
            Fault(status=502),
            Fault(hang_s=3.0),  # longer than the client's timeout
        ]
    )
    slept: list[float] = []
    policy = RetryPolicy(attempts=6, base_delay_s=0.01, max_delay_s=0.05, timeout_s=0.5)
    client = LinearClient(KEY, linear.url, policy=policy, sleep=slept.append)
    ref = LinearTracker(client).open(doc())
    assert ref.issue_key == "STO-1"
    assert len(slept) == 4 and all(0 <= s <= 0.07 for s in slept)


def test_a_rate_limit_storm_is_bounded_and_a_far_reset_is_not_waited_for(
    linear: FakeLinear, tmp_path: Path
) -> None:
    history = DuckDBHistory(tmp_path / "h.duckdb")
    run_day(history, tracker_for(linear), 0, "passed")
    linear.faults.extend(Fault(status=429, code="RATELIMITED") for _ in range(50))
    run_day(history, tracker_for(linear), 1, "failed")
    assert len(linear.requests) <= 1 + FAST.attempts  # bounded, not a storm of our own
    linear.faults.clear()
    linear.faults.append(Fault(status=429, code="RATELIMITED", headers={"Retry-After": "3600"}))
    with pytest.raises(TrackerError, match="resets in 3600s"):
        tracker_for(linear).open(doc("ep-9"))


def test_an_invalid_key_is_one_clear_error(linear: FakeLinear, tmp_path: Path) -> None:
    history = DuckDBHistory(tmp_path / "h.duckdb")
    run_day(history, tracker_for(linear), 0, "passed")
    report = run_day(history, tracker_for(linear, key="lin_api_wrong"), 1, "failed")
    assert report.error is not None and "rejected the API key" in report.error
    assert "lin_api_wrong" not in report.error
    assert len(linear.requests) == 1  # stopped at the first refusal, not retried
    assert repr(tracker_for(linear).client).find(KEY) == -1

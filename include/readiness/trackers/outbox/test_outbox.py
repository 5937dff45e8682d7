"""The outbox tracker (the embedded default): the same lifecycle as Linear, and a retried
comment is never posted twice."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from readiness.trackers import IssueDocument
from readiness.trackers.outbox.tracker import OutboxTracker

AT = datetime(2026, 11, 27, 6, tzinfo=UTC)


def _doc() -> IssueDocument:
    return IssueDocument(
        episode_id="ep-1",
        service="svc",
        item_id="RP3",
        team_key="T",
        title="[readiness] svc RP3: restore drill",
        body="body",
        labels=("service:svc", "readiness"),
        priority=2,
        at=AT,
    )


def test_a_retried_comment_is_posted_once(tmp_path: Path) -> None:
    """A task killed after the comment but before its link was saved sends it again."""
    tracker = OutboxTracker(tmp_path)
    ref = tracker.open(_doc())
    tracker.comment(ref, "still failing, for a new reason", at=AT)
    tracker.comment(ref, "still failing, for a new reason", at=AT)  # the retry
    assert tracker.comments(ref.issue_key) == ["still failing, for a new reason"]
    tracker.comment(ref, "still failing, for a new reason", at=AT.replace(day=28))
    assert len(tracker.comments(ref.issue_key)) == 2  # a later run's comment is its own


def test_opening_the_same_episode_twice_is_one_issue(tmp_path: Path) -> None:
    tracker = OutboxTracker(tmp_path)
    first, again = tracker.open(_doc()), tracker.open(_doc())
    assert first == again and len(tracker.issues()) == 1

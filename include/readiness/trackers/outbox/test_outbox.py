"""The outbox tracker (the embedded default) keeps the tracker contract: the lifecycle,
one issue per episode, a retried comment posted once, racing runs sharing one issue."""

from __future__ import annotations

from pathlib import Path

import pytest

from readiness.testing.trackers import TrackerContract
from readiness.trackers import IssueTracker
from readiness.trackers.outbox.tracker import OutboxTracker


class OutboxWorld:
    prefix = "OUT"

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def tracker(self) -> IssueTracker:
        return OutboxTracker(self.folder)

    def _issue(self, key: str) -> dict[str, object]:
        return next(i for i in OutboxTracker(self.folder).issues() if i["issue_key"] == key)

    def state(self, key: str) -> str:
        issue = self._issue(key)
        return "accepted_risk" if issue["accepted_risk"] else str(issue["state"])

    def comments(self, key: str) -> list[str]:
        return OutboxTracker(self.folder).comments(key)

    def body(self, key: str) -> str:
        return str(self._issue(key)["body"])

    def storm(self, calls: int) -> None:
        raise AssertionError("files on disk have no rate limit")

    def calm(self) -> None:
        pass


class TestOutboxKeepsTheTrackerContract(TrackerContract):
    @pytest.fixture
    def world(self, tmp_path: Path) -> OutboxWorld:
        return OutboxWorld(tmp_path / "outbox")


def test_opening_the_same_episode_twice_leaves_one_issue_on_disk(tmp_path: Path) -> None:
    from readiness.testing.trackers import issue_document

    tracker = OutboxTracker(tmp_path)
    tracker.open(issue_document())
    tracker.open(issue_document())
    assert len(tracker.issues()) == 1


def test_a_later_runs_comment_of_the_same_words_is_its_own(tmp_path: Path) -> None:
    """The outbox keys a comment by issue, body and moment (Linear by issue and body, the
    moment being in the body the sync writes)."""
    from readiness.testing.trackers import AT, issue_document

    tracker = OutboxTracker(tmp_path)
    ref = tracker.open(issue_document())
    tracker.comment(ref, "still failing, for a new reason", at=AT)
    tracker.comment(ref, "still failing, for a new reason", at=AT.replace(day=28))
    assert len(tracker.comments(ref.issue_key)) == 2

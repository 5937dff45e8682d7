"""The Linear tracker: regression issues in the owning team's Linear, exactly once.

Exactly once without an idempotency key: the issue's id is chosen by us (Linear's
``IssueCreateInput.id`` takes a client UUID), derived from the regression episode. Opening
first looks that id up, so a retried task, a re-run or a crash between "created in Linear"
and "recorded in history" finds the issue it already made instead of making another.
Comments get ids derived from the issue and their text, so a retried comment is not
posted twice.

Labels ``readiness`` and ``service:<name>`` are workspace labels (not team labels): a
service can change owning team, and compliance filters every team's readiness issues with
one label. They are looked up once per run and created when missing."""

from __future__ import annotations

import hashlib
import logging
import os
import uuid
from datetime import datetime
from typing import Any

from readiness.trackers import IssueDocument, IssueRef, TrackerError
from readiness.trackers.linear import operations as ops
from readiness.trackers.linear.client import (
    DEFAULT_ENDPOINT,
    LinearClient,
    LinearRequestError,
    RetryPolicy,
)

log = logging.getLogger(__name__)
LABEL_COLORS = {"readiness": "#5E6AD2", "quarterly-revalidation": "#F2C94C"}
SERVICE_LABEL_COLOR = "#95A2B3"


def linear_uuid(*parts: str) -> str:
    """A deterministic UUID with version 4 bits, as ``IssueCreateInput.id`` expects."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()[:16]
    return str(uuid.UUID(bytes=digest, version=4))


def _not_found(exc: LinearRequestError) -> bool:
    return "not found" in str(exc).lower() or "could not find" in str(exc).lower()


def _already_exists(exc: LinearRequestError) -> bool:
    text = str(exc).lower()
    return "already exists" in text or "duplicate" in text


class LinearTracker:
    name = "linear"

    def __init__(self, client: LinearClient) -> None:
        self.client = client
        self._teams: dict[str, dict[str, Any]] = {}
        self._labels: dict[str, str] = {}

    @classmethod
    def from_environment(
        cls,
        settings: Any,
        api_key: str | None = None,
        endpoint: str | None = None,
        policy: RetryPolicy | None = None,
    ) -> LinearTracker:
        """Key from the Airflow hook (``api_key``) or ``LINEAR_API_KEY``; endpoint from the
        connection's host, ``LINEAR_ENDPOINT`` or the ``linear_endpoint`` setting."""
        key = api_key or os.environ.get("LINEAR_API_KEY", "")
        url = (
            endpoint
            or os.environ.get("LINEAR_ENDPOINT")
            or getattr(settings, "linear_endpoint", None)
            or DEFAULT_ENDPOINT
        )
        return cls(LinearClient(key, url, policy=policy))

    # ------------------------------------------------------------------ lookups

    def _team(self, key: str) -> dict[str, Any]:
        if key not in self._teams:
            data = self.client.execute(ops.TEAM, {"key": key}, "ReadinessTeam")
            nodes = data["teams"]["nodes"]
            if not nodes:
                raise TrackerError(f"Linear has no team with key {key!r} (spec tracker_team)")
            self._teams[key] = nodes[0]
        return self._teams[key]

    def _state(self, team_key: str, kinds: tuple[str, ...]) -> str:
        """The team's first workflow state of the first kind it has (Linear types:
        backlog, unstarted, started, completed, canceled)."""
        states = self._team(team_key)["states"]["nodes"]
        for kind in kinds:
            matching = sorted(
                (s for s in states if s["type"] == kind), key=lambda s: s.get("position") or 0
            )
            if matching:
                return str(matching[0]["id"])
        raise TrackerError(f"Linear team {team_key} has no {' or '.join(kinds)} state")

    def _label_ids(self, names: tuple[str, ...]) -> list[str]:
        wanted = [n for n in names if n not in self._labels]
        if wanted:
            data = self.client.execute(ops.LABELS, {"names": wanted}, "ReadinessLabels")
            for node in data["issueLabels"]["nodes"]:
                self._labels[node["name"]] = node["id"]
            for name in wanted:
                if name in self._labels:
                    continue
                color = LABEL_COLORS.get(name, SERVICE_LABEL_COLOR)
                created = self.client.execute(
                    ops.LABEL_CREATE,
                    {"input": {"name": name, "color": color}},
                    "ReadinessLabelCreate",
                )
                label = created["issueLabelCreate"]["issueLabel"]
                log.info("created Linear workspace label %s", name)
                self._labels[name] = label["id"]
        return [self._labels[n] for n in names]

    def _find(self, issue_id: str) -> dict[str, Any] | None:
        try:
            data = self.client.execute(ops.ISSUE, {"id": issue_id}, "ReadinessIssue")
        except LinearRequestError as exc:
            if _not_found(exc):
                return None
            raise
        issue: dict[str, Any] | None = data.get("issue")
        return issue

    @staticmethod
    def _ref(issue: dict[str, Any]) -> IssueRef:
        return IssueRef(issue_id=issue["id"], issue_key=issue["identifier"], url=issue["url"])

    # ------------------------------------------------------------------ IssueTracker

    def open(self, doc: IssueDocument) -> IssueRef:
        issue_id = linear_uuid("readiness-issue", doc.episode_id)
        existing = self._find(issue_id)
        if existing is not None:
            log.info(
                "Linear issue for episode %s exists: %s", doc.episode_id, existing["identifier"]
            )
            return self._ref(existing)
        team = self._team(doc.team_key)
        payload: dict[str, Any] = {
            "id": issue_id,
            "teamId": team["id"],
            "title": doc.title,
            "description": doc.body,
            "labelIds": self._label_ids(doc.labels),
            "priority": doc.priority,
        }
        if doc.due_date is not None:
            payload["dueDate"] = doc.due_date.isoformat()
        try:
            data = self.client.execute(ops.ISSUE_CREATE, {"input": payload}, "ReadinessIssueCreate")
        except LinearRequestError as exc:
            # a lost response to an earlier attempt: the id is taken by our own issue
            found = self._find(issue_id) if _already_exists(exc) else None
            if found is None:
                raise
            return self._ref(found)
        result = data["issueCreate"]
        if not result.get("success") or not result.get("issue"):
            raise TrackerError(f"Linear did not create the issue for {doc.item_id}")
        return self._ref(result["issue"])

    def comment(self, ref: IssueRef, body: str, *, at: datetime | None = None) -> None:
        """Linear stamps the comment's time itself; ``at`` is in the body already."""
        comment_id = linear_uuid("readiness-comment", ref.issue_id, body)
        try:
            self.client.execute(
                ops.COMMENT_CREATE,
                {"input": {"id": comment_id, "issueId": ref.issue_id, "body": body}},
                "ReadinessComment",
            )
        except LinearRequestError as exc:
            if not _already_exists(exc):  # the same comment was posted by an earlier try
                raise

    def close(
        self,
        ref: IssueRef,
        body: str,
        *,
        accepted_risk: bool = False,
        at: datetime | None = None,
    ) -> None:
        """Comment, then move to the team's completed state (canceled, if the team has
        one, for accepted risk: the work was not done, the risk was accepted)."""
        team_key = ref.issue_key.rsplit("-", 1)[0]
        kinds = ("canceled", "completed") if accepted_risk else ("completed",)
        state_id = self._state(team_key, kinds)
        self.comment(ref, body)
        self.client.execute(
            ops.ISSUE_MOVE,
            {"id": ref.issue_id, "input": {"stateId": state_id}},
            "ReadinessIssueMove",
        )


def from_settings(
    settings: Any, api_key: str | None = None, endpoint: str | None = None
) -> LinearTracker:
    """The ``linear`` entry of ``readiness.trackers.TRACKERS``: credentials from the hook's
    options, else the environment."""
    return LinearTracker.from_environment(settings, api_key=api_key, endpoint=endpoint)

"""Issue trackers: where regression issues go. One interface, several sinks:
``outbox`` (embedded default: a SQLite table and Markdown files) and ``linear``.

Every method is idempotent on the episode id, so a retried task cannot file twice."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol


@dataclass(frozen=True)
class IssueDocument:
    """One issue to open for one regression episode."""

    episode_id: str
    service: str
    item_id: str
    team_key: str
    title: str
    body: str
    labels: tuple[str, ...]
    priority: int  # 1 urgent … 4 low (Linear's scale)
    due_date: date | None = None
    previous_issue_key: str | None = None
    #: The evaluation's moment (its as-of), which a backfill sets in the past: when the
    #: issue is said to open. A tracker that stamps its own times (Linear) ignores it.
    at: datetime | None = None


@dataclass(frozen=True)
class IssueRef:
    issue_id: str
    issue_key: str
    url: str

    @classmethod
    def of(cls, link: Any) -> IssueRef:
        """The tracker's reference of a recorded link (``history.IssueLink``)."""
        return cls(issue_id=link.issue_id, issue_key=link.issue_key, url=link.url)


class TrackerError(Exception):
    """The tracker could not be reached or refused the request; what was not sent is
    retried by the next run."""


class TrackerAuthError(TrackerError):
    """The tracker refused the credentials: nothing else will work this run, so the sync
    stops at the first one and says so once."""


class IssueTracker(Protocol):
    name: str

    def open(self, doc: IssueDocument) -> IssueRef:
        """Open the issue, or return the one already opened for ``doc.episode_id``."""
        ...

    def comment(self, ref: IssueRef, body: str, *, at: datetime | None = None) -> None:
        """``at``: the evaluation's moment, as for ``IssueDocument.at``."""
        ...

    def close(
        self,
        ref: IssueRef,
        body: str,
        *,
        accepted_risk: bool = False,
        at: datetime | None = None,
    ) -> None: ...


@dataclass
class SyncReport:
    opened: list[str] = field(default_factory=list)
    commented: list[str] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    #: Why the sync stopped early (the tracker refused the credentials), if it did.
    error: str | None = None


@dataclass(frozen=True)
class TrackerConnection:
    """Where a tracker's credentials come from, in the Airflow providers' style: the
    connection ``conn_id`` (its password is the secret; host, login and extras become the
    factory's ``endpoint``, ``login`` and keyword options), else the environment variable
    ``secret_env``. Airflow's generic ``TrackerHook`` reads it, so a new tracker needs no
    code in ``plugins/``."""

    conn_id: str
    #: the factory's keyword for the connection's password (``api_key``, ``token``, …)
    secret_option: str = "api_key"
    secret_env: str | None = None


@dataclass(frozen=True)
class TrackerKind:
    """One tracker plug-in: its ``factory`` (``module:callable``, called with the settings
    and the connection's options) and, when it takes credentials, its ``connection``. The
    factory is imported on first use, so this module knows no implementation."""

    name: str
    factory: str
    connection: TrackerConnection | None = None


#: Every tracker, by the name the ``tracker`` setting uses. Adding one: a folder under
#: ``trackers/`` and one line here.
TRACKERS: dict[str, TrackerKind] = {
    kind.name: kind
    for kind in (
        TrackerKind("outbox", "readiness.trackers.outbox.tracker:from_settings"),
        TrackerKind(
            "linear",
            "readiness.trackers.linear.tracker:from_settings",
            connection=TrackerConnection("linear_default", "api_key", "LINEAR_API_KEY"),
        ),
    )
}


def load(reference: str) -> Any:
    """The object a ``module:name`` reference names."""
    module, _, name = reference.partition(":")
    return getattr(importlib.import_module(module), name)


def open_tracker(settings: Any, **options: Any) -> IssueTracker:
    """The configured tracker; ``options`` come from its Airflow hook (credentials) or are
    absent, when the tracker reads the environment itself."""
    tracker: IssueTracker = load(TRACKERS[settings.tracker].factory)(settings, **options)
    return tracker

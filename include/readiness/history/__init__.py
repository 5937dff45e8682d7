"""History: every evaluation, item result and issue link, appended per run.

``HistoryStore`` is the one interface; DuckDB (embedded default, ``duckdb_store``) and
BigQuery (production) implement it. Rows are built once here (``rows``) so both backends
store exactly the same thing, and the views are written once (``views.sql``, GoogleSQL).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol

from readiness.domain.exemptions import Baseline, ExemptionDecision
from readiness.domain.model import PriorItemState, ServiceEvaluation
from readiness.domain.verdicts import ChainLink, Verdict


@dataclass(frozen=True)
class RunMeta:
    """Where a run came from: the Airflow run, or the command line."""

    run_key: str
    trigger: str = "manual"  # scheduled | quarterly | manual
    logical_date: datetime | None = None
    dag_id: str | None = None
    dag_run_id: str | None = None


def _never(_known: Verdict) -> bool:
    return False


@dataclass(frozen=True)
class VerdictClaim:
    """A verdict to sign onto its service's chain, one of a batch (the history transfer)."""

    service: str
    run_id: str
    #: signs the verdict for the link it is given
    build: Callable[[ChainLink], Verdict]
    #: whether the run's latest verdict already says what this one would (a transfer
    #: retried after its verdicts were appended): that verdict stands, none is added
    unchanged: Callable[[Verdict], bool] = _never


@dataclass
class IssueLink:
    """One issue in the tracker for one regression episode of one item."""

    service: str
    item_id: str
    episode_id: str
    tracker: str
    issue_id: str
    issue_key: str
    url: str
    state: str  # open | closed
    title: str
    opened_run_id: str
    opened_at: datetime
    closed_at: datetime | None = None
    closed_reason: str | None = None
    last_reason: str = ""
    previous_issue_key: str | None = None
    updated_at: datetime | None = None

    @classmethod
    def opened(
        cls, doc: Any, ref: Any, tracker: str, run_id: str, at: datetime, last_reason: str
    ) -> IssueLink:
        """The link of an issue the tracker just opened (``doc``: its IssueDocument,
        ``ref``: the IssueRef it answered), recorded ``at`` by run ``run_id``."""
        return cls(
            service=doc.service,
            item_id=doc.item_id,
            episode_id=doc.episode_id,
            tracker=tracker,
            issue_id=ref.issue_id,
            issue_key=ref.issue_key,
            url=ref.url,
            state="open",
            title=doc.title,
            opened_run_id=run_id,
            opened_at=at,
            last_reason=last_reason,
            previous_issue_key=doc.previous_issue_key,
            updated_at=at,
        )

    def closed(self, at: datetime, reason: str) -> IssueLink:
        """This link once its issue is closed ``at``, and why (``recovered``, ``renewed``…)."""
        return replace(self, state="closed", closed_at=at, closed_reason=reason, updated_at=at)


@dataclass
class ServiceSnapshot:
    """The latest evaluation of a service, as ``status`` shows it."""

    service: str
    run_id: str
    evaluated_at: datetime
    achieved_level: str
    previous_level: str | None
    target_level: str
    achieved_rank: int
    target_rank: int
    counts: dict[str, int]
    failing: list[dict[str, Any]] = field(default_factory=list)

    @property
    def below_target(self) -> bool:
        return self.achieved_rank < self.target_rank

    #: Items whose collector failed (``error``) but still count as their last status, within
    #: ``error_grace_runs``: not failing yet, but a broken source an SRE should see.
    in_grace: list[dict[str, Any]] = field(default_factory=list)
    #: Items held to a rule the service spec changed (``spec_override`` says how).
    overridden: list[dict[str, Any]] = field(default_factory=list)
    #: Every exemption the spec asks for, as ``ExemptionState.as_json`` (state, words, …).
    exemptions: list[dict[str, Any]] = field(default_factory=list)


class HistoryStore(Protocol):
    """What the engine, the CLI and the DAGs need from history."""

    backend: str

    def init(self) -> list[str]:
        """Create what is missing (idempotent); returns what it changed."""
        ...

    def session(self) -> AbstractContextManager[None]:
        """Scope within which the store may reuse one connection."""
        ...

    def prior_states(
        self, service: str, as_of: datetime, exclude_run_id: str
    ) -> dict[str, PriorItemState]: ...

    def previous_level(self, service: str, as_of: datetime, exclude_run_id: str) -> str | None: ...

    def write(self, evaluations: Sequence[ServiceEvaluation], meta: RunMeta) -> None: ...

    def write_rows(self, items: list[dict[str, Any]], runs: list[dict[str, Any]]) -> None:
        """Replace the runs' rows (``item_results``, ``evaluations``) with these."""
        ...

    def baseline(self, service: str, as_of: datetime, exclude_run_id: str) -> Baseline | None:
        """What the service was held to by its last run before ``as_of``."""
        ...

    def exemption_decisions(self, service: str, as_of: datetime) -> list[ExemptionDecision]:
        """The answers given in Airflow to the service's requests, up to ``as_of``."""
        ...

    def exemption_events(
        self, service: str = "", since: datetime | None = None, until: datetime | None = None
    ) -> list[dict[str, Any]]: ...

    def save_events(self, rows: Sequence[dict[str, Any]]) -> int:
        """Append exemption events not recorded yet (idempotent by ``event_id``)."""
        ...

    def notifications(
        self, service: str = "", since: datetime | None = None
    ) -> list[dict[str, Any]]:
        """What was announced on which channel (the ledger of ``save_notifications``)."""
        ...

    def save_notifications(self, rows: Sequence[dict[str, Any]]) -> int:
        """Record deliveries not recorded yet (idempotent by ``event_id``)."""
        ...

    def append_verdict(
        self, service: str, run_id: str, build: Callable[[ChainLink], Verdict]
    ) -> Verdict:
        """Append the verdict ``build`` makes for the next link of the service's chain."""
        ...

    def verdicts(self, service: str = "") -> list[Verdict]: ...

    def append_verdicts(self, claims: Sequence[VerdictClaim]) -> list[Verdict]:
        """Sign and append a batch of verdicts, in order (a service's later claim follows
        its earlier one in the chain); returns them in the claims' order."""
        ...

    def run_verdict(self, service: str, run_id: str) -> Verdict | None: ...

    def verdict_at(self, service: str, at: datetime) -> Verdict | None: ...

    def links(self, service: str) -> list[IssueLink]: ...

    def save_link(self, link: IssueLink) -> None: ...

    def open_links(self, item_id: str) -> list[IssueLink]:
        """Every service's open link for ``item_id`` (a fleet outage's members)."""
        ...

    def snapshot(self, service: str, as_of: datetime | None = None) -> ServiceSnapshot | None: ...

    def services(self) -> list[str]: ...

    def services_with_open_issues(self) -> list[str]:
        """Services with an open issue link, evaluated or not (a retired one may never
        be evaluated again)."""
        ...

    def timeline(self, service: str, since: datetime | None) -> list[dict[str, Any]]: ...

    def transitions(self, service: str, since: datetime | None) -> list[dict[str, Any]]: ...

    def query(self, sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]: ...

    def select(self, googlesql: str, **params: Any) -> list[dict[str, Any]]:
        """A GoogleSQL query with ``{dataset}`` and ``@name`` parameters, on any backend."""
        ...

    def record_report(self, run_key: str, uri: str) -> None: ...

    def close(self) -> None: ...


#: History stores by URL scheme (``module:Class``, each with a ``from_url`` constructor),
#: imported on first use. Adding a backend: a ``SqlHistory`` subclass and one line here.
BACKENDS: dict[str, str] = {
    "duckdb": "readiness.history.duckdb_store:DuckDBHistory",
    "bigquery": "readiness.history.bigquery_store:BigQueryHistory",
}


def open_history(url: str, project_root: str, **options: Any) -> HistoryStore:
    """``duckdb:///path/history.duckdb`` (default) or ``bigquery://project/dataset``."""
    import importlib

    scheme = url.split("://", 1)[0] if "://" in url else "duckdb"  # a bare path is a file
    if scheme not in BACKENDS:
        from readiness.support.errors import ConfigError, Problem

        raise ConfigError(
            [
                Problem(
                    "readiness.yaml",
                    "history",
                    f"expected a URL starting with {' or '.join(s + '://' for s in BACKENDS)}, "
                    f"got {url!r}",
                )
            ]
        )
    module, _, name = BACKENDS[scheme].partition(":")
    backend = getattr(importlib.import_module(module), name)
    store: HistoryStore = backend.from_url(url, project_root=project_root, **options)
    return store


def history_for(settings: Any) -> HistoryStore:
    """The configured history store (``history``, ``dataset``, ``bigquery_location``,
    ``bigquery_endpoint``, ``history_timeout_s``)."""
    return open_history(
        settings.history,
        str(settings.project_root),
        dataset=settings.dataset,
        location=settings.bigquery_location,
        endpoint=settings.bigquery_endpoint or None,
        timeout_s=float(settings.history_timeout_s),
    )

"""What every SQL history backend shares: the reads (``queries.py``, GoogleSQL) turned into
domain values. A backend supplies ``query`` (its own dialect), ``native`` (GoogleSQL to
its dialect), writes and schema management."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from readiness.domain.exemptions import Baseline, ExemptionDecision
from readiness.domain.model import PriorItemState, Status
from readiness.domain.verdicts import ChainLink, Verdict, next_link
from readiness.history import IssueLink, ServiceSnapshot, VerdictClaim
from readiness.history import queries as q
from readiness.history.schema import TABLES

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: BigQuery's largest TIMESTAMP: "no upper bound" for the as-of reads.
END_OF_TIME = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
_LINK_FIELDS = {name for name, _ in TABLES["issue_links"]}


def _json_list(value: Any) -> list[dict[str, Any]]:
    """A JSON column as read back: text (DuckDB), a value (BigQuery) or NULL."""
    import json

    if value is None:
        return []
    loaded = json.loads(value) if isinstance(value, str) else value
    return list(loaded or [])


class SqlHistory(ABC):
    backend = "sql"
    dataset = "readiness"

    # -- supplied by the backend

    @abstractmethod
    def query(self, sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """A parameterised query in the backend's dialect; rows as dicts."""

    @abstractmethod
    def native(self, googlesql: str) -> str:
        """A query of ``queries.py`` in this backend's dialect, ``{dataset}`` filled in."""

    def select(self, googlesql: str, **params: Any) -> list[dict[str, Any]]:
        """A GoogleSQL query (``queries.py`` style) run on this backend."""
        return self.query(self.native(googlesql), params)

    def record_report(self, run_key: str, uri: str) -> None:
        """Point the evaluations of run ``run_key`` at the report it produced."""
        self.select(q.RECORD_REPORT, run_key=run_key, uri=uri)

    # -- the reads

    def prior_states(
        self, service: str, as_of: datetime, exclude_run_id: str
    ) -> dict[str, PriorItemState]:
        rows = self.select(q.PRIOR_STATES, service=service, as_of=as_of, run_id=exclude_run_id)
        return {
            r["item_id"]: PriorItemState(
                status=Status(r["status"]),
                effective_status=Status(r["effective_status"]),
                error_streak=int(r["error_streak"] or 0),
                reason=r["reason"] or "",
                episode_id=r["episode_id"],
                run_id=r["run_id"],
            )
            for r in rows
        }

    def previous_level(self, service: str, as_of: datetime, exclude_run_id: str) -> str | None:
        rows = self.select(q.PREVIOUS_LEVEL, service=service, as_of=as_of, run_id=exclude_run_id)
        return rows[0]["achieved_level"] if rows else None

    def links(self, service: str) -> list[IssueLink]:
        rows = self.select(q.LINKS, service=service)
        return [IssueLink(**{k: v for k, v in r.items() if k in _LINK_FIELDS}) for r in rows]

    def open_links(self, item_id: str) -> list[IssueLink]:
        rows = self.select(q.OPEN_LINKS_OF_ITEM, item_id=item_id)
        return [IssueLink(**{k: v for k, v in r.items() if k in _LINK_FIELDS}) for r in rows]

    def services(self) -> list[str]:
        return [r["service"] for r in self.select(q.SERVICES)]

    def services_with_open_issues(self) -> list[str]:
        return [r["service"] for r in self.select(q.SERVICES_WITH_OPEN_ISSUES)]

    def snapshot(self, service: str, as_of: datetime | None = None) -> ServiceSnapshot | None:
        rows = self.select(q.LATEST_EVALUATION, service=service, as_of=as_of or END_OF_TIME)
        if not rows:
            return None
        ev = rows[0]
        failing = self.select(q.FAILING_ITEMS, run_id=ev["run_id"], evaluated_at=ev["evaluated_at"])
        return ServiceSnapshot(
            service=service,
            run_id=ev["run_id"],
            evaluated_at=ev["evaluated_at"],
            achieved_level=ev["achieved_level"],
            previous_level=ev["previous_level"],
            target_level=ev["target_level"],
            achieved_rank=int(ev["achieved_rank"]),
            target_rank=int(ev["target_rank"]),
            counts={s.value: int(ev[f"count_{s.value}"] or 0) for s in Status},
            failing=failing,
            in_grace=self.select(
                q.IN_GRACE_ITEMS, run_id=ev["run_id"], evaluated_at=ev["evaluated_at"]
            ),
            overridden=self.select(
                q.OVERRIDDEN_ITEMS, run_id=ev["run_id"], evaluated_at=ev["evaluated_at"]
            ),
            exemptions=_json_list(ev.get("exemptions")),
        )

    def baseline(self, service: str, as_of: datetime, exclude_run_id: str) -> Baseline | None:
        rows = self.select(q.BASELINE, service=service, as_of=as_of, run_id=exclude_run_id)
        if not rows:
            return None
        r = rows[0]
        return Baseline(
            checklist=r["held_checklist"] or r["checklist_id"],
            target_level=r["target_level"],
            achieved_rank=int(r["achieved_rank"]),
        )

    def exemption_decisions(self, service: str, as_of: datetime) -> list[ExemptionDecision]:
        return [
            ExemptionDecision(
                request_id=r["request_id"],
                decision=r["event"],
                by=r["actor"],
                at=r["occurred_at"],
                until=r["valid_until"],
                comment=r["comment"] or "",
                source=r["source"] or "",
            )
            for r in self.select(q.DECISIONS, service=service, as_of=as_of)
        ]

    def exemption_events(
        self, service: str = "", since: datetime | None = None, until: datetime | None = None
    ) -> list[dict[str, Any]]:
        return self.select(
            q.EXEMPTION_EVENTS, service=service, since=since or EPOCH, until=until or END_OF_TIME
        )

    @abstractmethod
    def save_events(self, rows: Sequence[dict[str, Any]]) -> int:
        """Append the exemption events not recorded yet (by ``event_id``); how many."""

    def notifications(
        self, service: str = "", since: datetime | None = None
    ) -> list[dict[str, Any]]:
        return self.select(q.NOTIFICATIONS, service=service, since=since or EPOCH)

    def save_notifications(self, rows: Sequence[dict[str, Any]]) -> int:
        return self._append_new("notifications", rows)

    @abstractmethod
    def _append_new(self, table_name: str, rows: Sequence[dict[str, Any]]) -> int:
        """Append the rows whose ``event_id`` is not in the table yet; how many."""

    # -- verdicts

    @abstractmethod
    def append_verdict(
        self, service: str, run_id: str, build: Callable[[ChainLink], Verdict]
    ) -> Verdict:
        """Append the verdict ``build`` signs for the link after the service's chain head,
        so two writers never take the same place in the chain."""

    def append_verdicts(self, claims: Sequence[VerdictClaim]) -> list[Verdict]:
        """One claim at a time (a local store has one writer and no statement quota)."""
        out = []
        for claim in claims:
            known = self.run_verdict(claim.service, claim.run_id)
            if known is not None and claim.unchanged(known):
                out.append(known)
            else:
                out.append(self.append_verdict(claim.service, claim.run_id, claim.build))
        return out

    def _link(self, service: str, run_id: str) -> ChainLink:
        """One narrow read (three columns of one service's cluster), never the envelopes."""
        rows = self.select(q.CHAIN_HEAD, service=service, run_id=run_id)
        head = max(rows, key=lambda r: int(r["sequence"]), default=None)
        same = [r["verdict_sha256"] for r in rows if r["same_run"]]
        return next_link(
            (int(head["sequence"]), head["verdict_sha256"]) if head else None,
            same[0] if same else None,
        )

    def run_verdict(self, service: str, run_id: str) -> Verdict | None:
        """The verdict in force for a run: the latest signed for it."""
        rows = self.select(q.RUN_VERDICT, service=service, run_id=run_id)
        return Verdict.from_row(rows[0]) if rows else None

    def verdicts(self, service: str = "") -> list[Verdict]:
        """Every verdict (of one service), by service and sequence."""
        return [Verdict.from_row(r) for r in self.select(q.VERDICTS, service=service)]

    def verdict_at(self, service: str, at: datetime) -> Verdict | None:
        """The verdict in force at ``at``: the latest signed for the latest evaluation as of
        then (a re-run's, if the run was recorded again)."""
        rows = self.select(q.VERDICT_AT, service=service, at=at)
        return Verdict.from_row(rows[0]) if rows else None

    def timeline(self, service: str, since: datetime | None) -> list[dict[str, Any]]:
        return self.select(q.TIMELINE, service=service, since=since or EPOCH)

    def transitions(self, service: str, since: datetime | None) -> list[dict[str, Any]]:
        return self.select(q.TRANSITIONS, service=service, since=since or EPOCH)

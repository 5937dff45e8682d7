"""The quarterly report's figures, computed from the history tables only (no checklist, no
evidence store), so the same report comes out of BigQuery and DuckDB.

Time is counted the way the ``time_below_target`` view counts it: an evaluation holds from
its moment until the next evaluation of the service, here clipped to the period. Before a
service's first evaluation nothing is observed, so nothing counts."""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from readiness.audit.reports import queries as q
from readiness.domain.model import SATISFIED_VALUES
from readiness.history import HistoryStore
from readiness.lifecycle.revalidation import SIGNOFF_ORDER, SignoffDue
from readiness.spec.loader.catalog import Catalog
from readiness.support.timeutil import (
    next_quarter,
    parse_quarter,
    parse_timestamp,
    quarter_end,
    quarter_label,
)
from readiness.support.timeutil import quarter_start as first_day

SATISFIED = SATISFIED_VALUES
#: How many items the report lists as failing longest, per service.
FAILING_LONGEST = 5


@dataclass(frozen=True)
class LevelPoint:
    """One evaluation on the level timeline."""

    at: datetime
    level: str
    rank: int
    target_level: str
    target_rank: int
    trigger: str
    run_id: str


@dataclass(frozen=True)
class Episode:
    """One regression episode: the item regressed at ``opened_at`` and was satisfied again at
    ``closed_at`` (None: still failing at the end of the period)."""

    item_id: str
    title: str
    severity: str
    required_from: str
    opened_at: datetime
    closed_at: datetime | None
    issue_key: str | None

    @property
    def days_to_remediate(self) -> float | None:
        if self.closed_at is None:
            return None
        return (self.closed_at - self.opened_at).total_seconds() / 86400


@dataclass(frozen=True)
class FailingItem:
    item_id: str
    title: str
    required_from: str
    failing_seconds: float
    status_at_end: str
    failing_since: datetime | None  # start of the streak still running at the end


@dataclass(frozen=True)
class WaiverDue:
    item_id: str
    approver: str
    expires: date
    reason: str
    reference: str


@dataclass
class ServiceQuarter:
    service: str
    target_level: str
    level_at_start: str | None
    level_at_end: str | None
    evaluated_at_end: datetime | None
    timeline: list[LevelPoint]
    levels: dict[int, str]
    observed_seconds: float
    below_target_seconds: float
    episodes: list[Episode]
    opened: int
    closed: int
    failing_longest: list[FailingItem]
    waivers: list[WaiverDue] = field(default_factory=list)
    signoffs: list[SignoffDue] = field(default_factory=list)
    #: (item id, title, what the service spec changes) at the period's last evaluation
    overrides: list[tuple[str, str, str]] = field(default_factory=list)
    #: (request id, item, state, where it stands) at the period's last evaluation
    exemptions: list[tuple[str, str, str, str]] = field(default_factory=list)
    #: exemption events in the period by kind (requested, granted, refused, lapsed, …)
    exemption_events: dict[str, int] = field(default_factory=dict)
    #: level drops forecast in the next quarter from the period's last evaluation, if
    #: nothing is renewed (``LevelLapse.as_json``); None: not forecast (no catalog given)
    lapses: list[dict[str, Any]] | None = None

    @property
    def at_target(self) -> bool:
        ranks = {v: k for k, v in self.levels.items()}
        return self.level_at_end is not None and ranks.get(self.level_at_end, -1) >= ranks.get(
            self.target_level, 0
        )

    @property
    def below_target_share(self) -> float:
        return self.below_target_seconds / self.observed_seconds if self.observed_seconds else 0.0

    @property
    def median_days_to_remediate(self) -> float | None:
        days = [d for e in self.episodes if (d := e.days_to_remediate) is not None]
        return statistics.median(days) if days else None


@dataclass
class QuarterReport:
    quarter: str
    start: datetime
    end: datetime
    #: Where counting stops: the end of the quarter, or "now" for the quarter in progress.
    period_end: datetime
    generated_at: datetime
    backend: str
    services: list[ServiceQuarter]

    @property
    def in_progress(self) -> bool:
        return self.period_end < self.end

    @property
    def next_quarter(self) -> str:
        return quarter_label(*next_quarter(*parse_quarter(self.quarter)))


def quarter_bounds(label: str) -> tuple[datetime, datetime]:
    """[start, end) of a quarter such as ``2026Q4``, in UTC."""
    year, quarter = parse_quarter(label)
    start = datetime.combine(first_day(year, quarter), time(), UTC)
    end = datetime.combine(quarter_end(year, quarter) + timedelta(days=1), time(), UTC)
    return start, end


def _held(
    points: list[dict[str, Any]], start: datetime, stop: datetime
) -> Iterable[tuple[dict[str, Any], float]]:
    """Each evaluation with the seconds it holds inside [start, stop)."""
    for pos, row in enumerate(points):
        begin = max(row["evaluated_at"], start)
        until = points[pos + 1]["evaluated_at"] if pos + 1 < len(points) else stop
        seconds = (min(until, stop) - begin).total_seconds()
        if seconds > 0:
            yield row, seconds


def _json(value: Any) -> Any:
    if isinstance(value, str):
        return json.loads(value)
    return value


def build_quarter_report(
    history: HistoryStore,
    quarter: str,
    now: datetime | None = None,
    catalog: Catalog | None = None,
) -> QuarterReport:
    """The figures of ``quarter`` (``2026Q4``) for every service evaluated by its end; with
    the ``catalog`` (the rules each item is held to), the lapses forecast in the next one."""
    start, end = quarter_bounds(quarter)
    now = now or datetime.now(UTC)
    stop = min(end, now)
    in_period = history.select(q.EVALUATIONS, start=start, end=stop)
    before = history.select(q.BEFORE_START, start=start)
    evaluations: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in sorted(before, key=lambda r: r["service"]) + in_period:
        evaluations[row["service"]].append(row)
    since = min((r["evaluated_at"] for r in before), default=start)
    failing: dict[str, list[FailingItem]] = defaultdict(list)
    for row in history.select(q.FAILING_TIME, since=since, start=start, end=stop):
        if len(failing[row["service"]]) < FAILING_LONGEST:
            failing[row["service"]].append(
                FailingItem(
                    item_id=row["item_id"],
                    title=row["title"] or "",
                    required_from=row["required_from"] or "",
                    failing_seconds=int(row["failing_us"]) / 1e6,
                    status_at_end=row["status_at_end"],
                    failing_since=row["failing_since"]
                    if row["status_at_end"] not in SATISFIED
                    else None,
                )
            )
    episodes: dict[str, list[Episode]] = defaultdict(list)
    for row in history.select(q.EPISODES, start=start, end=stop):
        episodes[row["service"]].append(
            Episode(
                item_id=row["item_id"],
                title=row["title"] or "",
                severity=row["severity"] or "medium",
                required_from=row["required_from"] or "",
                opened_at=row["opened_at"],
                closed_at=row["closed_at"],
                issue_key=row["issue_key"],
            )
        )
    last_known: dict[str, list[dict[str, Any]]] = defaultdict(list)
    if evaluations:
        oldest_last = min(rows[-1]["evaluated_at"] for rows in evaluations.values())
        for row in history.select(q.LAST_RUN_ITEMS, since=oldest_last, end=stop):
            last_known[row["service"]].append(row)
    events: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for event in history.exemption_events("", start, stop - timedelta(microseconds=1)):
        if event["event"] != "asked":
            events[event["service"]][event["event"]] += 1
    services = [
        _service_quarter(
            name,
            rows,
            failing.get(name, []),
            episodes.get(name, []),
            start,
            stop,
            last_known.get(name, []),
        )
        for name, rows in sorted(evaluations.items())
    ]
    for sq in services:
        sq.exemption_events = dict(sorted(events.get(sq.service, {}).items()))
    if catalog is not None:
        _forecast_next_quarter(catalog, history, services, quarter, start, end, stop)
    return QuarterReport(
        quarter=quarter,
        start=start,
        end=end,
        period_end=stop,
        generated_at=now,
        backend=history.backend,
        services=services,
    )


def _service_quarter(
    service: str,
    rows: list[dict[str, Any]],
    failing_longest: list[FailingItem],
    episodes: list[Episode],
    start: datetime,
    stop: datetime,
    last_items: list[dict[str, Any]],
) -> ServiceQuarter:
    levels = {-1: "none"}
    for row in rows:
        levels[int(row["achieved_rank"])] = row["achieved_level"]
        levels[int(row["target_rank"])] = row["target_level"]
    observed = below = 0.0
    for row, seconds in _held(rows, start, stop):
        observed += seconds
        if int(row["achieved_rank"]) < int(row["target_rank"]):
            below += seconds
    last = rows[-1]
    at_start = rows[0] if rows[0]["evaluated_at"] < start else None
    service_q = ServiceQuarter(
        service=service,
        target_level=last["target_level"],
        level_at_start=at_start["achieved_level"] if at_start else None,
        level_at_end=last["achieved_level"],
        evaluated_at_end=last["evaluated_at"],
        timeline=[
            LevelPoint(
                at=r["evaluated_at"],
                level=r["achieved_level"],
                rank=int(r["achieved_rank"]),
                target_level=r["target_level"],
                target_rank=int(r["target_rank"]),
                trigger=r["trigger"] or "manual",
                run_id=r["run_id"],
            )
            for r in rows
        ],
        levels=dict(sorted(levels.items())),
        observed_seconds=observed,
        below_target_seconds=below,
        episodes=episodes,
        opened=sum(1 for e in episodes if e.opened_at >= start),
        closed=sum(1 for e in episodes if e.closed_at is not None),
        failing_longest=failing_longest,
    )
    _due(service_q, last_items, stop)
    for state in _json(last.get("exemptions")) or []:
        r = state["request"]
        service_q.exemptions.append((r["id"], r["item"] or "—", state["state"], state["words"]))
    return service_q


def _due(service_q: ServiceQuarter, last_items: list[dict[str, Any]], stop: datetime) -> None:
    """Waivers and sign-offs that stop counting before the end of the next quarter, from
    the service's last evaluation of the period."""
    horizon = quarter_end(*_next_of_period(stop))
    today = (stop - timedelta(microseconds=1)).date()  # the period's last day
    for row in last_items:
        if row.get("spec_override"):
            service_q.overrides.append((row["item_id"], row["title"] or "", row["spec_override"]))
        waiver = _json(row["waiver"])
        if waiver:
            expires = date.fromisoformat(waiver["expires"])
            if expires <= horizon:
                service_q.waivers.append(
                    WaiverDue(
                        item_id=row["item_id"],
                        approver=waiver.get("approver", ""),
                        expires=expires,
                        reason=waiver.get("reason", ""),
                        reference=waiver.get("reference", ""),
                    )
                )
        if row["evidence_kind"] != "attestation" or row["effective_status"] == "not_applicable":
            continue
        observed = _json(row["observed"]) or {}
        signoffs = observed.get("rows") or [
            {"role": role} for role in (observed.get("summary") or {}).get("unsigned", [])
        ]
        for signoff in signoffs:
            signer = signoff.get("signer")
            expires_on = (
                date.fromisoformat(str(signoff["expires_on"])[:10])
                if signoff.get("expires_on")
                else None
            )
            if signer and expires_on and expires_on > horizon:
                continue
            if not signer or expires_on is None:
                state = "unsigned"
            else:
                state = "expired" if expires_on < today else "renew"
            signed_at = signoff.get("signed_at")
            service_q.signoffs.append(
                SignoffDue(
                    item_id=row["item_id"],
                    title=row["title"] or "",
                    role=str(signoff.get("role", "")),
                    signer=signer,
                    signed_at=parse_timestamp(signed_at) if signed_at else None,
                    expires_on=expires_on,
                    state=state,
                )
            )
    service_q.signoffs.sort(
        key=lambda s: (SIGNOFF_ORDER[s.state], s.expires_on or date.max, s.item_id)
    )
    service_q.waivers.sort(key=lambda w: w.expires)


def _next_of_period(stop: datetime) -> tuple[int, int]:
    """The quarter after the one the period ends in (``stop`` is exclusive)."""
    last_moment = stop - timedelta(microseconds=1)
    return next_quarter(last_moment.year, (last_moment.month - 1) // 3 + 1)


def _forecast_next_quarter(
    catalog: Catalog,
    history: HistoryStore,
    services: list[ServiceQuarter],
    quarter: str,
    start: datetime,
    end: datetime,
    stop: datetime,
) -> None:
    """Each service's level drops in [``end``, the next quarter's end), replayed from its
    last evaluation in the period (``audit.forecast``): one query for every service."""
    from readiness.audit.forecast import latest_forecasts

    _next_start, next_end = quarter_bounds(quarter_label(*next_quarter(*parse_quarter(quarter))))
    days = (next_end - start).days + 1  # from any last evaluation in the period
    ahead = latest_forecasts(catalog, history, stop - timedelta(microseconds=1), days, start)
    for sq in services:
        found = ahead.get(sq.service)
        sq.lapses = [d.as_json() for d in (found.drops if found else ()) if end <= d.at < next_end]

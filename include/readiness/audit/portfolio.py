"""The portfolio and one service's readiness, read from history for the Airflow UI page and
its JSON API (``readiness_airflow.ui``). Every figure comes from a fixed number of queries
for the whole portfolio (never one per service), through the history store, so the page
reads DuckDB and BigQuery the same way. Values are returned raw: escaping is the page's."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from readiness.domain.model import SATISFIED_VALUES
from readiness.history import HistoryStore
from readiness.support.timeutil import quarter_of, quarter_start

#: Each service's latest evaluation: one row per service, only what the page shows. The
#: newest moment per service first (an aggregate), then its rows: ranking every evaluation
#: in a window takes 7 times as long at 10,000 services with a quarter of history.
LATEST = """
WITH newest AS (
  SELECT service, MAX(evaluated_at) AS evaluated_at FROM {dataset}.evaluations
  WHERE evaluated_at <= @now
  GROUP BY service
)
SELECT e.service, e.evaluated_at, e.dag_id, e.checklist_id, e.achieved_level, e.achieved_rank,
       e.target_level, e.target_rank, e.previous_level
FROM {dataset}.evaluations AS e
JOIN newest AS n ON n.service = e.service AND n.evaluated_at = e.evaluated_at
WHERE e.evaluated_at <= @now
QUALIFY ROW_NUMBER() OVER (PARTITION BY e.service ORDER BY e.run_id DESC) = 1
ORDER BY e.service
"""

#: Each service's trend and time below target, aggregated in the warehouse: at hourly runs
#: a quarter is two thousand evaluations a service, the answer a few rows. The trend is the
#: level of each day since @since (the day's lowest, so a dip shows), kept only on the days
#: it changes and the last; ``below_us`` is the time since @start spent below target (each
#: evaluation holds until the next one, the last until @now). Every service evaluated since
#: @first has rows; one with a flat trend has two.
TREND = """
WITH points AS (
  SELECT service, evaluated_at, achieved_rank, target_rank,
         LEAD(evaluated_at) OVER (PARTITION BY service ORDER BY evaluated_at, run_id) AS next_at
  FROM {dataset}.evaluations
  WHERE evaluated_at >= @first AND evaluated_at <= @now AND service IN UNNEST(@services)
),
below AS (
  SELECT service,
         SUM(CASE WHEN achieved_rank < target_rank
                  THEN GREATEST(TIMESTAMP_DIFF(COALESCE(next_at, @now),
                                               GREATEST(evaluated_at, @start), MICROSECOND), 0)
                  ELSE 0 END) AS below_us
  FROM points
  GROUP BY service
),
days AS (
  SELECT service, DATE(evaluated_at) AS day, MIN(achieved_rank) AS day_rank
  FROM points
  WHERE evaluated_at >= @since
  GROUP BY service, DATE(evaluated_at)
),
steps AS (
  SELECT service, day, day_rank,
         LAG(day_rank) OVER (PARTITION BY service ORDER BY day) AS rank_before,
         MAX(day) OVER (PARTITION BY service) AS last_day
  FROM days
)
SELECT b.service, b.below_us, s.day, s.day_rank
FROM below AS b
LEFT JOIN steps AS s
  ON s.service = b.service
  AND (s.rank_before IS NULL OR s.rank_before != s.day_rank OR s.day = s.last_day)
ORDER BY b.service, s.day
"""

#: What ``open_regressions`` answers, for the portfolio: the failing episodes of each
#: service's latest evaluation (read from that run's partition only), when each began, and
#: its issue. The view itself ranks every item row of history; this reads the latest runs.
OPEN_REGRESSIONS = """
WITH last AS (
  SELECT service, run_id, evaluated_at FROM {dataset}.evaluations
  WHERE evaluated_at <= @now AND evaluated_at >= @since AND service IN UNNEST(@services)
  QUALIFY ROW_NUMBER() OVER (PARTITION BY service ORDER BY evaluated_at DESC, run_id DESC) = 1
),
failing AS (
  SELECT r.service, r.item_id, r.title, r.severity, r.effective_status, r.episode_id
  FROM {dataset}.item_results AS r
  JOIN last ON last.run_id = r.run_id AND last.evaluated_at = r.evaluated_at
  WHERE r.evaluated_at >= @since AND r.episode_id IS NOT NULL
    AND r.effective_status IN {failing}
),
began AS (
  SELECT episode_id, MIN(evaluated_at) AS regressed_at FROM {dataset}.item_results
  WHERE episode_id IN (SELECT episode_id FROM failing)
  GROUP BY episode_id
)
SELECT f.service, f.item_id, f.title, f.severity, f.effective_status, b.regressed_at,
       i.issue_key, i.url AS issue_url
FROM failing AS f
JOIN began AS b ON b.episode_id = f.episode_id
LEFT JOIN {dataset}.issue_links AS i ON i.episode_id = f.episode_id
ORDER BY f.service, b.regressed_at, f.item_id
"""

#: Waivers and sign-offs at each service's latest evaluation (what may fall due).
DUE_WAIVERS = """
SELECT r.service, r.item_id, r.waiver, r.evidence_kind, r.observed
FROM {dataset}.item_results AS r
JOIN (
  SELECT service, run_id, evaluated_at FROM {dataset}.evaluations
  WHERE evaluated_at <= @now AND evaluated_at >= @since AND service IN UNNEST(@services)
  QUALIFY ROW_NUMBER() OVER (PARTITION BY service ORDER BY evaluated_at DESC, run_id DESC) = 1
) AS last ON last.run_id = r.run_id AND last.evaluated_at = r.evaluated_at
WHERE r.evaluated_at >= @since
  AND (r.waiver IS NOT NULL OR r.evidence_kind = 'attestation')
ORDER BY r.service, r.item_id
"""

#: Runs an Airflow Deadline Alert found late (``notifications``, kind ``late``) that have
#: not been recorded since: the service's level in history is older than its schedule says.
LATE_RUNS = """
SELECT n.service, n.run_id, n.occurred_at
FROM {dataset}.notifications AS n
WHERE n.kind = 'late' AND n.channel = 'record' AND n.service IN UNNEST(@services)
  AND n.occurred_at >= @since AND n.occurred_at <= @now
  AND NOT EXISTS (
    SELECT 1 FROM {dataset}.evaluations AS e
    WHERE e.service = n.service AND e.dag_run_id = n.run_id
  )
ORDER BY n.service, n.occurred_at
"""

#: One item's history: what an item's "history" link shows.
ITEM_HISTORY = """
SELECT evaluated_at, run_id, status, effective_status, reason, evidence_uri, evidence_sha256
FROM {dataset}.item_results
WHERE service = @service AND item_id = @item_id AND evaluated_at >= @since
  AND evaluated_at <= @now
ORDER BY evaluated_at DESC, run_id DESC
LIMIT 200
"""

ITEMS = """
SELECT item_id, section, title, required_from, required_rank, severity, status,
       effective_status, reason, observed, expectations, evidence_kind, evidence_uri,
       evidence_sha256, evidence_observed_at, waiver, episode_id, spec_override
FROM {dataset}.item_results
WHERE run_id = @run_id AND evaluated_at = @evaluated_at
ORDER BY required_rank, section, item_id
"""

RUNS = """
SELECT run_id, dag_id, dag_run_id, trigger, evaluated_at, achieved_level, achieved_rank,
       target_level, target_rank
FROM {dataset}.evaluations
WHERE service = @service AND evaluated_at >= @since AND evaluated_at <= @now
ORDER BY evaluated_at DESC, run_id DESC
LIMIT 100
"""

LINKS = """
SELECT episode_id, issue_key, url, state FROM {dataset}.issue_links WHERE service = @service
"""

TREND_DAYS = 90
DUE_DAYS = 30


@dataclass
class ServiceRow:
    """One service on the portfolio page."""

    service: str
    checklist: str
    level: str
    target: str
    below_target: bool
    previous_level: str | None
    evaluated_at: datetime
    stale: bool
    trend: list[tuple[str, int]] = field(default_factory=list)
    below_target_share: float = 0.0
    open_regressions: list[dict[str, Any]] = field(default_factory=list)
    due: list[dict[str, Any]] = field(default_factory=list)
    dag_id: str | None = None
    #: runs past their deadline and not recorded yet (``run_id``, ``occurred_at``)
    late_runs: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["evaluated_at"] = self.evaluated_at.isoformat()
        out["trend"] = [{"at": at, "rank": rank} for at, rank in self.trend]
        return out


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


@dataclass
class PortfolioPage:
    """One page of the portfolio, and what the whole selection counts."""

    rows: list[ServiceRow]
    #: services selected: visible to the caller and matching the filter
    total: int
    #: of those, below target
    below_target: int
    offset: int
    queries: int


def portfolio(
    history: HistoryStore,
    now: datetime,
    visible: set[str] | None = None,
    stale_after: timedelta = timedelta(days=2),
    *,
    matches: Callable[[str, str], bool] | None = None,
    offset: int = 0,
    limit: int | None = None,
) -> PortfolioPage:
    """The services the caller may see that ``matches(service, level)``, by name, from
    ``offset``, at most ``limit`` of them. Each service's latest level is read for the
    whole selection (the counts); the trend, regressions, due dates and late runs only for
    the page's services, so a page costs the same at 100 services as at 10,000."""
    since = now - timedelta(days=TREND_DAYS)
    first_day = quarter_start(*quarter_of(now.date()))
    q_start = datetime(first_day.year, first_day.month, first_day.day, tzinfo=now.tzinfo)
    queries = 0

    def select(sql: str, **params: Any) -> list[dict[str, Any]]:
        nonlocal queries
        queries += 1
        return history.select(sql, **params)

    selected = [
        r
        for r in select(LATEST, now=now)
        if (visible is None or r["service"] in visible)
        and (matches is None or matches(r["service"], r["achieved_level"]))
    ]
    below = sum(int(r["achieved_rank"]) < int(r["target_rank"]) for r in selected)
    offset = max(offset, 0)
    latest = selected[offset:] if limit is None else selected[offset : offset + max(limit, 0)]
    if not latest:
        return PortfolioPage([], len(selected), below, offset, queries)
    page = {"services": [r["service"] for r in latest], "since": since, "now": now}
    trend: dict[str, list[tuple[str, int]]] = defaultdict(list)
    below_us: dict[str, int] = {}
    for row in select(TREND, first=min(since, q_start), start=q_start, **page):
        below_us[row["service"]] = int(row["below_us"] or 0)
        if row["day"] is not None:
            trend[row["service"]].append((_iso(row["day"]), int(row["day_rank"])))
    quarter_us = (now - q_start).total_seconds() * 1e6
    regressions: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in select(OPEN_REGRESSIONS, **page):
        regressions[row["service"]].append(row)
    due: dict[str, list[dict[str, Any]]] = defaultdict(list)
    horizon = (now + timedelta(days=DUE_DAYS)).date()
    for row in select(DUE_WAIVERS, **page):
        waiver = _json(row["waiver"]) or {}
        expires = waiver.get("expires")
        if expires and date.fromisoformat(expires) <= horizon:
            due[row["service"]].append({"item_id": row["item_id"], "kind": "waiver", **waiver})
        if row["evidence_kind"] == "attestation":
            due[row["service"]] += _signoffs_due(row, horizon)
    late: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in select(LATE_RUNS, **page):
        late[row["service"]].append(
            {"run_id": row["run_id"], "occurred_at": _iso(row["occurred_at"])}
        )
    rows = []
    for ev in latest:
        rows.append(
            ServiceRow(
                service=ev["service"],
                checklist=ev["checklist_id"],
                level=ev["achieved_level"],
                target=ev["target_level"],
                below_target=int(ev["achieved_rank"]) < int(ev["target_rank"]),
                previous_level=ev["previous_level"],
                evaluated_at=ev["evaluated_at"],
                stale=now - ev["evaluated_at"] > stale_after,
                trend=trend.get(ev["service"], []),
                below_target_share=round(below_us.get(ev["service"], 0) / quarter_us, 4)
                if quarter_us > 0
                else 0.0,
                open_regressions=regressions.get(ev["service"], []),
                due=due.get(ev["service"], []),
                dag_id=ev["dag_id"],
                late_runs=late.get(ev["service"], []),
            )
        )
    return PortfolioPage(rows, len(selected), below, offset, queries)


def _iso(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


def _signoffs_due(row: dict[str, Any], horizon: date) -> list[dict[str, Any]]:
    """Sign-offs of an attestation item that stop counting by ``horizon``, or are missing."""
    observed = _json(row["observed"]) or {}
    out: list[dict[str, Any]] = []
    for signoff in observed.get("rows") or []:
        expires = str(signoff.get("expires_on") or "")[:10]
        if expires and date.fromisoformat(expires) <= horizon:
            out.append(
                {
                    "item_id": row["item_id"],
                    "kind": "sign-off",
                    "role": signoff.get("role"),
                    "signer": signoff.get("signer"),
                    "expires": expires,
                }
            )
    for role in (observed.get("summary") or {}).get("unsigned", []):
        out.append({"item_id": row["item_id"], "kind": "sign-off", "role": role, "expires": None})
    return out


def item_history(
    history: HistoryStore, service: str, item_id: str, now: datetime
) -> list[dict[str, Any]]:
    """One item's evaluations over the last 90 days, newest first."""
    return history.select(
        ITEM_HISTORY,
        service=service,
        item_id=item_id,
        since=now - timedelta(days=TREND_DAYS),
        now=now,
    )


def _checks(raw: Any) -> list[tuple[bool, str]]:
    """Each expectation of an item: met or not, and what was expected versus observed."""
    from readiness.domain.model import ExpectationOutcome
    from readiness.domain.scoring import describe_expectation

    out = []
    for data in _json(raw) or []:
        outcome = ExpectationOutcome(
            type=data.get("expectation", ""),
            kwargs=data.get("kwargs") or {},
            success=bool(data.get("success")),
            observed=data.get("observed"),
            unexpected_count=data.get("unexpected_count") or 0,
            unexpected_sample=data.get("unexpected_sample") or [],
            error=data.get("error"),
        )
        out.append((outcome.success, describe_expectation(outcome)))
    return out


@dataclass
class ServiceDetail:
    service: str
    latest: dict[str, Any]
    sections: dict[str, list[dict[str, Any]]]
    blocking: list[dict[str, Any]]
    next_level: str | None
    runs: list[dict[str, Any]]
    trend: list[tuple[str, int]]
    queries: int
    #: What the spec asks for and where each request stands (the latest evaluation's).
    exemptions: list[dict[str, Any]] = field(default_factory=list)
    #: Requests, answers, refusals, lapses and checklist or target changes, newest first.
    exemption_events: list[dict[str, Any]] = field(default_factory=list)


def service_detail(history: HistoryStore, service: str, now: datetime) -> ServiceDetail | None:
    """One service's latest evaluation, its items by section with their issues, what
    blocks the next level, and the runs that produced its evaluations."""
    queries = 1
    snapshot = history.snapshot(service, now)
    if snapshot is None:
        return None
    latest = {
        "run_id": snapshot.run_id,
        "evaluated_at": snapshot.evaluated_at,
        "level": snapshot.achieved_level,
        "target": snapshot.target_level,
        "previous_level": snapshot.previous_level,
        "below_target": snapshot.below_target,
        "counts": snapshot.counts,
    }
    verdict = history.run_verdict(service, snapshot.run_id)
    latest["verdict"] = verdict.reference if verdict else None
    queries += 5  # snapshot: the evaluation, failing, in-grace and overridden items; verdict
    items = history.select(ITEMS, run_id=snapshot.run_id, evaluated_at=snapshot.evaluated_at)
    links = {r["episode_id"]: r for r in history.select(LINKS, service=service)}
    runs = history.select(RUNS, service=service, since=now - timedelta(days=TREND_DAYS), now=now)
    events = history.exemption_events(service, now - timedelta(days=TREND_DAYS), now)
    queries += 4
    sections: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in items:
        row["waiver"] = _json(row["waiver"])
        row["issue"] = links.get(row["episode_id"]) if row["episode_id"] else None
        row["checks"] = _checks(row.pop("expectations"))
        sections[row["section"]].append(row)
    next_rank = snapshot.achieved_rank + 1
    blocking = [
        r
        for r in items
        if int(r["required_rank"]) <= next_rank and r["effective_status"] not in SATISFIED_VALUES
    ]
    names = sorted({(int(r["required_rank"]), r["required_from"]) for r in items})
    next_level = next((name for rank, name in names if rank == next_rank), None)
    trend = [(r["evaluated_at"].isoformat(), int(r["achieved_rank"])) for r in reversed(runs)]
    return ServiceDetail(
        service=service,
        latest=latest,
        sections=dict(sections),
        blocking=blocking,
        next_level=next_level,
        runs=runs,
        trend=trend,
        queries=queries,
        exemptions=snapshot.exemptions,
        exemption_events=list(reversed(events)),
    )

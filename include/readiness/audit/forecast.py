"""``readiness forecast``: each service's next lapse, read from its latest evaluation in
history and the rule it is held to (the checklist with the spec's overrides: a spec's
shorter ``max_age`` shortens the clock)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from readiness.domain.forecast import (
    Forecast,
    ItemClock,
    clock,
    forecast,
    renewed_by_tooling,
)
from readiness.history import HistoryStore
from readiness.spec.loader.catalog import Catalog
from readiness.spec.overrides import effective_items

#: What a clock needs of each item of the latest run.
CLOCK_ITEMS = """
SELECT item_id, title, required_from, effective_status, evidence_observed_at,
       evidence_expires_at, waiver
FROM {dataset}.item_results
WHERE run_id = @run_id AND evaluated_at = @evaluated_at
ORDER BY required_rank, item_id
"""


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _aware(value: Any) -> datetime | None:
    if value is None:
        return None
    when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return when if when.tzinfo else when.replace(tzinfo=UTC)  # history stores UTC


#: The same for every service's latest evaluation, in one read (the portfolio's column).
LATEST_CLOCK_ITEMS = """
SELECT r.service, r.item_id, r.title, r.required_from, r.effective_status,
       r.evidence_observed_at, r.evidence_expires_at, r.waiver,
       last.evaluated_at AS run_evaluated_at, last.achieved_level, last.target_level
FROM {dataset}.item_results AS r
JOIN (
  SELECT service, run_id, evaluated_at, achieved_level, target_level
  FROM {dataset}.evaluations
  WHERE evaluated_at <= @now AND evaluated_at >= @since{only}
  QUALIFY ROW_NUMBER() OVER (PARTITION BY service ORDER BY evaluated_at DESC, run_id DESC) = 1
) AS last ON last.run_id = r.run_id AND last.evaluated_at = r.evaluated_at
WHERE r.evaluated_at >= @since
ORDER BY r.service, r.required_rank, r.item_id
"""
#: What narrows ``LATEST_CLOCK_ITEMS`` to some services (a page of the portfolio).
_ONLY = " AND service IN UNNEST(@services)"


def service_forecast(
    catalog: Catalog, history: HistoryStore, service: str, as_of: datetime | None, days: int
) -> Forecast | None:
    """The forecast from the service's latest evaluation at ``as_of`` (None: from its
    latest evaluation, as of that evaluation); None when it has none or its spec or
    checklist is gone."""
    spec = catalog.specs.get(service)
    snapshot = history.snapshot(service, as_of)
    if spec is None or snapshot is None or spec.checklist not in catalog.checklists:
        return None
    rows = history.select(CLOCK_ITEMS, run_id=snapshot.run_id, evaluated_at=snapshot.evaluated_at)
    return _forecast_from(
        catalog,
        service,
        rows,
        snapshot.achieved_level,
        snapshot.target_level,
        as_of or snapshot.evaluated_at,
        days,
    )


def latest_forecasts(
    catalog: Catalog,
    history: HistoryStore,
    now: datetime,
    days: int,
    since: datetime,
    services: Sequence[str] | None = None,
) -> dict[str, Forecast]:
    """Each service's forecast (of ``services``, or every one) from its latest evaluation
    in ``[since, now]``, as of that evaluation: one query for the whole portfolio."""
    by_service: dict[str, list[dict[str, Any]]] = {}
    if services is None:
        rows = history.select(LATEST_CLOCK_ITEMS.replace("{only}", ""), now=now, since=since)
    else:
        sql = LATEST_CLOCK_ITEMS.replace("{only}", _ONLY)
        rows = history.select(sql, now=now, since=since, services=list(services))
    for row in rows:
        by_service.setdefault(row["service"], []).append(row)
    found: dict[str, Forecast] = {}
    for service, rows in by_service.items():
        first = rows[0]
        as_of = _aware(first["run_evaluated_at"]) or now
        ahead = _forecast_from(
            catalog, service, rows, first["achieved_level"], first["target_level"], as_of, days
        )
        if ahead is not None:
            found[service] = ahead
    return found


def _forecast_from(
    catalog: Catalog,
    service: str,
    rows: list[dict[str, Any]],
    level_now: str,
    target: str,
    as_of: datetime,
    days: int,
) -> Forecast | None:
    spec = catalog.specs.get(service)
    if spec is None or spec.checklist not in catalog.checklists:
        return None
    checklist = catalog.checklists[spec.checklist]
    items = {item.id: item for item, _na in effective_items(checklist, spec, as_of.date())}
    clocks: list[ItemClock] = []
    kept = 0
    for row in rows:
        item = items.get(row["item_id"])
        if item is None:  # an item the checklist dropped since: it no longer counts
            continue
        waiver = _json(row["waiver"]) or {}
        renewed = renewed_by_tooling(item.max_age)
        kept += renewed
        clocks.append(
            clock(
                item_id=item.id,
                title=item.title,
                required_from=row["required_from"] or item.required_from,
                required_until=item.required_until,
                effective_status=row["effective_status"],
                observed_at=_aware(row["evidence_observed_at"]),
                max_age=None if renewed else item.max_age,
                expires_at=_aware(row["evidence_expires_at"]),
                waiver_expires=date.fromisoformat(waiver["expires"])
                if waiver.get("expires")
                else None,
            )
        )
    return forecast(
        service,
        checklist.levels,
        clocks,
        level_now=level_now,
        target=target,
        as_of=as_of,
        until=as_of + timedelta(days=days),
        renewed_by_tooling=kept,
    )

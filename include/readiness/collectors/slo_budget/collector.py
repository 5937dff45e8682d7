"""The ``slo_budget`` collector: error budget remaining and burn rates from event counts."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from readiness.collectors import CollectRequest
from readiness.domain.model import Evidence
from readiness.evidence.documents import DocumentError, load_documents
from readiness.evidence.provenance import combined_sha256, sha256_text
from readiness.evidence.store import StoreUnavailable
from readiness.support.timeutil import parse_duration, parse_timestamp, utcnow

#: (long window, short window, burn threshold) of the SRE workbook for a 30-day SLO.
ALERTS = {
    "fast_burn": (timedelta(hours=1), timedelta(minutes=5), 14.4),
    "slow_burn": (timedelta(hours=6), timedelta(minutes=30), 6.0),
    "ticket_burn": (timedelta(days=3), timedelta(hours=6), 1.0),
}
BURN_WINDOWS = {
    "burn_5m": timedelta(minutes=5),
    "burn_30m": timedelta(minutes=30),
    "burn_1h": timedelta(hours=1),
    "burn_6h": timedelta(hours=6),
    "burn_3d": timedelta(days=3),
}
COLUMNS = (
    "slo",
    "objective",
    "window_days",
    "coverage",
    "good",
    "total",
    "error_ratio",
    "budget_remaining",
    *BURN_WINDOWS,
    *ALERTS,
)


class SloParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slo: str
    window: str | None = None
    min_coverage: float = Field(default=0.9, ge=0, le=1)
    path: str = "slo_events/**/*"
    #: Live source: a GoogleSQL query returning ``start`` (TIMESTAMP), ``minutes``, ``good``
    #: and ``total`` per bucket; parameters ``@service``, ``@slo``, ``@since``, ``@until``.
    sql: str | None = None
    project: str | None = None
    #: Required with ``sql`` (documents carry their own).
    objective: float | None = Field(default=None, gt=0, lt=1)

    @field_validator("window")
    @classmethod
    def _duration(cls, value: str | None) -> str | None:
        if value is not None:
            parse_duration(value)
        return value


Bucket = tuple[datetime, timedelta, int, int]  # start, length, good, total


def burn_rate(
    buckets: list[Bucket], since: datetime, until: datetime, objective: float
) -> float | None:
    """Error ratio over buckets starting in [since, until) divided by the error budget."""
    good = total = 0
    for start, _length, g, t in buckets:
        if since <= start < until:
            good += g
            total += t
    if total == 0:
        return None
    return ((total - good) / total) / (1 - objective)


def budget_figures(
    buckets: list[Bucket], objective: float, window: timedelta, as_of: datetime
) -> dict[str, Any]:
    """Every figure of the row, from merged buckets (pure: tested with hand-made cases)."""
    since = as_of - window
    inside = [b for b in buckets if since <= b[0] and b[0] + b[1] <= as_of]
    covered = sum((b[1] for b in inside), timedelta())
    good = sum(b[2] for b in inside)
    total = sum(b[3] for b in inside)
    error_ratio = (total - good) / total if total else None
    row: dict[str, Any] = {
        "objective": objective,
        "window_days": window / timedelta(days=1),
        "coverage": min(1.0, covered / window),
        "good": good,
        "total": total,
        "error_ratio": error_ratio,
        "budget_remaining": None if error_ratio is None else 1 - error_ratio / (1 - objective),
    }
    for name, length in BURN_WINDOWS.items():
        row[name] = burn_rate(inside, as_of - length, as_of, objective)
    for name, (long_w, short_w, threshold) in ALERTS.items():
        long_burn = burn_rate(inside, as_of - long_w, as_of, objective)
        short_burn = burn_rate(inside, as_of - short_w, as_of, objective)
        row[name] = bool(
            long_burn is not None
            and short_burn is not None
            and long_burn > threshold
            and short_burn > threshold
        )
    return row


class SloBudgetCollector:
    kind: ClassVar[str] = "slo_budget"
    source: ClassVar[str] = "bigquery"
    outage: ClassVar[str] = "source"
    recorded: ClassVar[str | None] = "slo_events"
    Params: ClassVar[type[BaseModel]] = SloParams
    #: Every column its evidence has: ``check`` refuses an expectation on any other.
    columns: ClassVar[tuple[str, ...]] = COLUMNS

    def collect(self, request: CollectRequest) -> Evidence:
        params = SloParams.model_validate(request.params)
        if request.live and params.sql:
            return self._from_bigquery(params, request)
        fetched_at = utcnow()
        where_uri = f"{request.store.root}/{params.path}"
        try:
            docs = [
                d
                for d in load_documents(request.store, "slo_events", params.path)
                if d.record["slo"] == params.slo and d.timestamp <= request.as_of
            ]
        except StoreUnavailable as exc:
            return Evidence.failed(where_uri, fetched_at, str(exc), transient=True)
        except DocumentError as exc:
            return Evidence.failed(where_uri, fetched_at, str(exc))
        if not docs:
            return Evidence.missing(where_uri, fetched_at, f"no slo_events for {params.slo!r}")
        docs.sort(key=lambda d: d.timestamp)
        newest = docs[-1].record
        objective = float(newest["objective"])
        window = parse_duration(params.window or newest["window"])
        merged: dict[datetime, Bucket] = {}
        for doc in docs:  # later exports win for the same bucket
            for b in doc.record["buckets"]:
                start = parse_timestamp(b["start"])
                merged[start] = (
                    start,
                    timedelta(minutes=b["minutes"]),
                    int(b["good"]),
                    int(b["total"]),
                )
        buckets = sorted(merged.values())
        used = {d.source for d in docs}
        uri = docs[-1].uri if len({d.uri for d in docs}) == 1 else where_uri
        found = _evidence(
            params,
            buckets,
            objective,
            window,
            request.as_of,
            uri,
            combined_sha256(used),
            fetched_at,
        )
        return replace(found, sources=tuple(sorted(used)))

    def _from_bigquery(self, params: SloParams, request: CollectRequest) -> Evidence:
        """Buckets from a BigQuery query (live sources only)."""
        from readiness.collectors._bigquery import MissingParameter, is_bad_request, run_query

        fetched_at = utcnow()
        uri = f"bigquery://query/slo/{params.slo}"
        if params.objective is None:
            return Evidence.failed(uri, fetched_at, "slo_budget with sql needs an objective")
        window = parse_duration(params.window or "28d")
        values: dict[str, Any] = {
            "service": request.service.service,
            "slo": params.slo,
            "since": request.as_of - window,
            "until": request.as_of,
        }
        try:
            rows = run_query(request, params.project or "", params.sql or "", values)
            buckets = sorted(
                (
                    parse_timestamp(r["start"]),
                    timedelta(minutes=int(r["minutes"])),
                    int(r["good"]),
                    int(r["total"]),
                )
                for r in rows
            )
        except MissingParameter as exc:
            return Evidence.failed(uri, fetched_at, f"no value for parameter @{exc.args[0]}")
        except KeyError as exc:
            return Evidence.failed(
                uri, fetched_at, f"the SLO query returned no {exc.args[0]!r} column"
            )
        except Exception as exc:
            return Evidence.failed(
                uri,
                fetched_at,
                f"SLO query failed: {type(exc).__name__}: {exc}",
                transient=not is_bad_request(exc),
            )
        digest = sha256_text((params.sql or "") + repr(buckets))
        return _evidence(
            params, buckets, params.objective, window, request.as_of, uri, digest, fetched_at
        )


def _evidence(
    params: SloParams,
    buckets: list[Bucket],
    objective: float,
    window: timedelta,
    as_of: datetime,
    uri: str,
    sha256: str,
    fetched_at: datetime,
) -> Evidence:
    """The row, or ``missing`` when the window has too little data to prove anything."""
    row = {"slo": params.slo, **budget_figures(buckets, objective, window, as_of)}
    observed = max((b[0] + b[1] for b in buckets if b[0] + b[1] <= as_of), default=None)
    if row["total"] == 0 or row["coverage"] < params.min_coverage:
        return Evidence(
            rows=[],
            columns=COLUMNS,
            uri=uri,
            sha256=sha256,
            fetched_at=fetched_at,
            observed_at=observed,
            found=False,
            summary={
                "missing": f"only {row['coverage']:.0%} of the {window.days}-day "
                f"window has event counts (need {params.min_coverage:.0%})",
                **{k: row[k] for k in ("coverage", "total")},
            },
        )
    return Evidence(
        rows=[row],
        columns=COLUMNS,
        uri=uri,
        sha256=sha256,
        fetched_at=fetched_at,
        observed_at=observed,
        summary={"budget_remaining": row["budget_remaining"], "coverage": row["coverage"]},
    )


COLLECTOR = SloBudgetCollector()

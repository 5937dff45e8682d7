"""Rows returned by a parameterised BigQuery query: evidence that lives in a table (audit
log export freshness, SLO event counts, cost per unit)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from readiness.collectors import CollectRequest
from readiness.collectors._bigquery import MissingParameter, is_bad_request, run_query
from readiness.domain.model import Evidence
from readiness.evidence.documents import DocumentError, load_documents
from readiness.evidence.provenance import sha256_text
from readiness.evidence.store import StoreUnavailable
from readiness.support.timeutil import parse_timestamp, utcnow


class QueryParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    sql: str
    project: str | None = None
    parameters: dict[str, str | int | float | bool] = {}
    observed_column: str | None = None
    allow_empty: bool = False
    max_rows: int = 1000


def _observed(rows: list[dict[str, Any]], column: str | None) -> datetime | None:
    if not column:
        return None
    stamps = []
    for row in rows:
        value = row.get(column)
        if isinstance(value, str):
            try:
                value = parse_timestamp(value)
            except ValueError:
                continue
        if isinstance(value, datetime):
            stamps.append(value)
    return max(stamps, default=None)


class BigQueryQueryCollector:
    kind: ClassVar[str] = "bigquery_query"
    source: ClassVar[str] = "bigquery"
    outage: ClassVar[str] = "source"
    recorded: ClassVar[str | None] = "query_result"
    Params: ClassVar[type[BaseModel]] = QueryParams

    def collect(self, request: CollectRequest) -> Evidence:
        params = QueryParams.model_validate(request.params)
        if not request.live:
            return self._recorded(params, request)
        fetched_at = utcnow()
        uri = f"bigquery://query/{params.name}"
        values = {"service": request.service.service, **params.parameters}
        try:
            rows = run_query(request, params.project or "", params.sql, values, params.max_rows)
        except MissingParameter as exc:
            return Evidence.failed(
                uri, fetched_at, f"query {params.name}: no value for parameter @{exc.args[0]}"
            )
        except Exception as exc:
            return Evidence.failed(
                uri,
                fetched_at,
                f"query {params.name} failed: {type(exc).__name__}: {exc}",
                transient=not is_bad_request(exc),
            )
        return self._evidence(
            params,
            rows,
            uri,
            sha256_text(params.sql + json.dumps(rows, sort_keys=True, default=str)),
            fetched_at,
            _observed(rows, params.observed_column) or fetched_at,
            "live",
        )

    def _recorded(self, params: QueryParams, request: CollectRequest) -> Evidence:
        fetched_at = utcnow()
        where = f"{request.store.root}/query_result/**/*"
        try:
            docs = [
                d
                for d in load_documents(
                    request.store,
                    "query_result",
                    "query_result/**/*",
                    keep=lambda raw: raw.get("name") == params.name,
                )
                if d.timestamp <= request.as_of
            ]
        except StoreUnavailable as exc:
            return Evidence.failed(where, fetched_at, str(exc), transient=True)
        except DocumentError as exc:
            return Evidence.failed(where, fetched_at, str(exc))
        if not docs:
            return Evidence.missing(where, fetched_at, f"no recorded query_result {params.name!r}")
        newest = max(docs, key=lambda d: d.timestamp)
        rows = [dict(r) for r in newest.record["rows"]]
        return self._evidence(
            params,
            rows,
            newest.uri,
            newest.sha256,
            fetched_at,
            _observed(rows, params.observed_column) or newest.timestamp,
            "recorded",
        )

    @staticmethod
    def _evidence(
        params: QueryParams,
        rows: list[dict[str, Any]],
        uri: str,
        sha256: str,
        fetched_at: datetime,
        observed_at: datetime,
        source: str,
    ) -> Evidence:
        if not rows and not params.allow_empty:
            return Evidence.missing(uri, fetched_at, f"query {params.name} returned no rows")
        columns: list[str] = []
        for row in rows:
            columns.extend(c for c in row if c not in columns)
        return Evidence(
            rows=rows,
            columns=tuple(columns),
            uri=uri,
            sha256=sha256,
            fetched_at=fetched_at,
            observed_at=observed_at,
            summary={"source": source, "query": params.name, "rows": len(rows)},
        )


COLLECTOR = BigQueryQueryCollector()

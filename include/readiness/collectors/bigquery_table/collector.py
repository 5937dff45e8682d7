"""Live BigQuery table metadata (location, table and partition expiration, CMEK) and, when
a timestamp column is named, how fresh its newest row is (export pipelines: DA5, DA6, O8)."""

from __future__ import annotations

import json
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, field_validator

from readiness.collectors import CollectRequest
from readiness.collectors._bigquery import COLUMN, TABLE_ID, budget, client_for, run_query
from readiness.collectors._recorded import recorded
from readiness.domain.model import Evidence
from readiness.evidence.provenance import sha256_text
from readiness.support.timeutil import utcnow

COLUMNS = (
    "table",
    "location",
    "table_expiration_days",
    "partition_expiration_days",
    "kms_key",
    "newest_row_at",
    "freshness_lag_minutes",
)


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid")
    table: str
    freshness_column: str | None = None

    @field_validator("freshness_column")
    @classmethod
    def _column(cls, value: str | None) -> str | None:
        if value is not None and not COLUMN.match(value):
            raise ValueError(f"expected a column name, got {value!r}")
        return value


class BigQueryTableCollector:
    kind: ClassVar[str] = "bigquery_table"
    source: ClassVar[str] = "bigquery"
    outage: ClassVar[str] = "source"
    recorded: ClassVar[str | None] = "table_settings"
    Params: ClassVar[type[BaseModel]] = Params
    #: Every column its evidence has: ``check`` refuses an expectation on any other.
    columns: ClassVar[tuple[str, ...]] = COLUMNS

    def collect(self, request: CollectRequest) -> Evidence:
        params = Params.model_validate(request.params)
        if not request.live:
            return recorded(request, "table_settings", "table", [params.table])
        fetched_at = utcnow()
        uri = f"bigquery://{params.table}"
        if not TABLE_ID.match(params.table):
            return Evidence.failed(
                uri, fetched_at, f"table {params.table!r}: expected project.dataset.table"
            )
        from google.api_core.exceptions import NotFound

        try:
            client = client_for(request, params.table.split(".")[0])
            table = client.get_table(params.table, **budget(request))
            newest = None
            if params.freshness_column:
                sql = f"SELECT MAX(`{params.freshness_column}`) AS newest FROM `{params.table}`"
                (first,) = run_query(request, "", sql, {}, client=client)
                newest = first["newest"]
        except NotFound:
            return Evidence.missing(uri, fetched_at, f"table {params.table} does not exist")
        except Exception as exc:  # credentials, permissions, 5xx, network
            return Evidence.failed(
                uri,
                fetched_at,
                f"cannot read {params.table}: {type(exc).__name__}: {exc}",
                transient=True,
            )
        partitioning = table.time_partitioning
        encryption = table.encryption_configuration
        row: dict[str, Any] = {
            "table": params.table,
            "location": table.location,
            "table_expiration_days": (
                None
                if table.expires is None
                else round((table.expires - fetched_at).total_seconds() / 86400, 2)
            ),
            "partition_expiration_days": (
                None
                if partitioning is None or not partitioning.expiration_ms
                else round(partitioning.expiration_ms / 86_400_000, 2)
            ),
            "kms_key": encryption.kms_key_name if encryption is not None else None,
            "newest_row_at": newest,
            "freshness_lag_minutes": (
                None if newest is None else round((fetched_at - newest).total_seconds() / 60, 1)
            ),
        }
        return Evidence(
            rows=[row],
            columns=COLUMNS,
            uri=uri,
            sha256=sha256_text(json.dumps(row, sort_keys=True, default=str)),
            fetched_at=fetched_at,
            observed_at=fetched_at,
            summary={"source": "live", "table": params.table},
        )


COLLECTOR = BigQueryTableCollector()

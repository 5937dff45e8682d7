"""bigquery_table: live metadata and freshness through the official client against the
BigQuery emulator, and the recorded table_settings documents by default."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from readiness.collectors import CollectContext
from readiness.collectors.bigquery_table.collector import COLLECTOR
from readiness.testing.collectors import request
from readiness.testing.emulators import PROJECT

TESTDATA = Path(__file__).with_name("testdata")


def _live(params: dict, endpoint: str) -> object:
    req = request(params, TESTDATA / "store")
    return replace(
        req, live=True, context=CollectContext(bigquery_endpoint=endpoint, api_retry_s=5.0)
    )


def test_live_metadata_and_freshness(bigquery_emulator: str) -> None:
    from google.cloud import bigquery

    from readiness.clients.bigquery import bigquery_client

    client = bigquery_client(PROJECT, "EU", bigquery_emulator)
    dataset = f"audit_{uuid.uuid4().hex[:8]}"
    client.create_dataset(f"{PROJECT}.{dataset}")
    table = bigquery.Table(
        f"{PROJECT}.{dataset}.events",
        schema=[bigquery.SchemaField("logged_at", "TIMESTAMP")],
    )
    table.time_partitioning = bigquery.TimePartitioning(
        field="logged_at", expiration_ms=400 * 86_400_000
    )
    client.create_table(table)
    newest = datetime.now(UTC) - timedelta(minutes=7)
    client.query(
        f"INSERT INTO `{PROJECT}.{dataset}.events` (logged_at) VALUES (@t)",
        job_config=bigquery.QueryJobConfig(
            query_parameters=[bigquery.ScalarQueryParameter("t", "TIMESTAMP", newest)]
        ),
    ).result()
    ev = COLLECTOR.collect(
        _live(
            {"table": f"{PROJECT}.{dataset}.events", "freshness_column": "logged_at"},
            bigquery_emulator,
        )
    )
    assert ev.error is None and ev.found, ev.error
    (row,) = ev.rows
    assert row["partition_expiration_days"] == 400
    assert row["table_expiration_days"] is None and row["kms_key"] is None
    assert 6.5 <= row["freshness_lag_minutes"] <= 15
    assert ev.uri == f"bigquery://{PROJECT}.{dataset}.events" and ev.summary["source"] == "live"


def test_a_table_that_does_not_exist_is_missing(bigquery_emulator: str) -> None:
    ev = COLLECTOR.collect(_live({"table": f"{PROJECT}.nowhere.nothing"}, bigquery_emulator))
    assert not ev.found and "does not exist" in ev.summary["missing"]


def test_an_unreachable_api_is_a_transient_error() -> None:
    req = _live({"table": f"{PROJECT}.d.t"}, "http://127.0.0.1:9")
    req = replace(req, context=replace(req.context, api_retry_s=1.0))
    ev = COLLECTOR.collect(req)
    assert ev.error is not None and ev.transient


def test_a_malformed_table_id_never_reaches_sql() -> None:
    ev = COLLECTOR.collect(_live({"table": "p.d.t`; DROP TABLE x; --"}, "http://127.0.0.1:9"))
    assert (
        ev.error is not None and not ev.transient and "expected project.dataset.table" in ev.error
    )


def test_recorded_documents_by_default() -> None:
    ev = COLLECTOR.collect(request({"table": "proj-one.audit.events"}, TESTDATA / "store"))
    assert ev.found and ev.rows[0]["freshness_lag_minutes"] == 2  # the newest record

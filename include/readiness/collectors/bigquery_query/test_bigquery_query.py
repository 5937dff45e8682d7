"""bigquery_query: a parameterised query through the official client against the BigQuery
emulator, and the recorded query_result documents by default."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from readiness.collectors import CollectContext
from readiness.collectors.bigquery_query.collector import COLLECTOR
from readiness.testing.collectors import request
from readiness.testing.emulators import PROJECT

TESTDATA = Path(__file__).with_name("testdata")
SQL = (
    "SELECT @service AS service, @threshold AS threshold, "
    "TIMESTAMP '2026-11-19 05:58:10+00' AS newest_entry_at"
)


def _live(params: dict, endpoint: str) -> object:
    req = request(params, TESTDATA / "store")
    return replace(
        req, live=True, context=CollectContext(bigquery_endpoint=endpoint, api_retry_s=5.0)
    )


def test_live_rows_with_parameters(bigquery_emulator: str) -> None:
    params = {
        "name": "freshness",
        "sql": SQL,
        "project": PROJECT,
        "parameters": {"threshold": 5},
        "observed_column": "newest_entry_at",
    }
    ev = COLLECTOR.collect(_live(params, bigquery_emulator))
    assert ev.error is None and ev.found, ev.error
    assert ev.rows[0]["service"] == "svc" and ev.rows[0]["threshold"] == 5
    assert ev.observed_at is not None and ev.observed_at.isoformat().startswith("2026-11-19T05:58")


def test_hostile_service_names_stay_parameters(bigquery_emulator: str) -> None:
    req = _live({"name": "q", "sql": "SELECT @service AS s", "project": PROJECT}, bigquery_emulator)
    req = replace(req, service=replace(req.service, service="x' OR '1'='1"))
    ev = COLLECTOR.collect(req)
    assert ev.rows == [{"s": "x' OR '1'='1"}]


def test_no_rows_is_missing_unless_allowed(bigquery_emulator: str) -> None:
    sql = "SELECT 1 AS one FROM UNNEST([1]) AS x WHERE FALSE"
    base = {"name": "empty", "sql": sql, "project": PROJECT}
    assert not COLLECTOR.collect(_live(base, bigquery_emulator)).found
    ev = COLLECTOR.collect(_live({**base, "allow_empty": True}, bigquery_emulator))
    assert ev.found and ev.rows == []


def test_a_parameter_without_a_value_is_an_error_naming_it() -> None:
    ev = COLLECTOR.collect(
        _live({"name": "q", "sql": "SELECT @nope", "project": PROJECT}, "http://127.0.0.1:9")
    )
    assert ev.error is not None and "@nope" in ev.error and not ev.transient


def test_an_unreachable_api_is_a_transient_error() -> None:
    req = _live({"name": "q", "sql": "SELECT 1", "project": PROJECT}, "http://127.0.0.1:9")
    req = replace(req, context=replace(req.context, api_retry_s=1.0))
    ev = COLLECTOR.collect(req)
    assert ev.error is not None and ev.transient


def test_recorded_query_results_by_default() -> None:
    params = {
        "name": "audit-export-freshness",
        "sql": "unused when recorded",
        "observed_column": "newest_entry_at",
    }
    ev = COLLECTOR.collect(request(params, TESTDATA / "store"))
    assert ev.found and ev.rows == [{"newest_entry_at": "2026-11-19T05:58:10Z", "lag_minutes": 2}]
    assert ev.summary["source"] == "recorded"
    missing = COLLECTOR.collect(request({**params, "name": "other"}, TESTDATA / "store"))
    assert not missing.found

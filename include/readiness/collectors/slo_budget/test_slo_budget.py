"""SLO math against hand-computed cases."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from readiness.collectors import CollectContext
from readiness.collectors.slo_budget.collector import COLLECTOR, budget_figures
from readiness.testing.collectors import request

AS_OF = datetime(2026, 11, 20, tzinfo=UTC)


def hourly(days: int, bad: dict[int, int] | None = None, skip: range = range(0)):
    bad = bad or {}
    out = []
    for h in range(days * 24):
        if h in skip:
            continue
        out.append(
            (AS_OF - timedelta(hours=days * 24 - h), timedelta(hours=1), 1000 - bad.get(h, 0), 1000)
        )
    return out


def test_budget_remaining_by_hand() -> None:
    # 30 days x 24 h x 1000 = 720,000 events; 360 bad -> error ratio 0.0005;
    # objective 0.999 -> budget 0.001 -> 50 % of the budget spent
    buckets = hourly(30, bad={5: 360})
    row = budget_figures(buckets, 0.999, timedelta(days=30), AS_OF)
    assert row["error_ratio"] == pytest.approx(0.0005)
    assert row["budget_remaining"] == pytest.approx(0.5)
    assert row["coverage"] == pytest.approx(1.0)


def test_burn_rates_and_fast_burn_alert() -> None:
    # the last hour: 20 % errors -> burn 200 over 1 h; 5 m window has no full bucket
    buckets = hourly(30, bad={30 * 24 - 1: 200})
    row = budget_figures(buckets, 0.999, timedelta(days=30), AS_OF)
    assert row["burn_1h"] == pytest.approx(200.0)
    assert row["burn_6h"] == pytest.approx(200 / 6 / 1000 / 0.001 * 1000 / 1000)
    assert row["burn_5m"] is None and row["fast_burn"] is False


def test_a_gap_lowers_coverage() -> None:
    buckets = hourly(30, skip=range(0, 24 * 6))  # six days without data
    row = budget_figures(buckets, 0.999, timedelta(days=30), AS_OF)
    assert row["coverage"] == pytest.approx(0.8)


def test_too_little_data_is_missing_never_a_pass(tmp_path: Path) -> None:
    (tmp_path / "slo_events").mkdir()
    buckets = [
        {
            "start": (AS_OF - timedelta(hours=h + 1)).isoformat(),
            "minutes": 60,
            "good": 1000,
            "total": 1000,
        }
        for h in range(24 * 10)
    ]
    (tmp_path / "slo_events" / "e.json").write_text(
        json.dumps(
            {
                "slo": "availability",
                "objective": 0.999,
                "window": "30d",
                "generated_at": AS_OF.isoformat(),
                "buckets": buckets,
            }
        )
    )
    ev = COLLECTOR.collect(request({"slo": "availability"}, tmp_path))
    assert not ev.found and "33%" in ev.summary["missing"]
    ev = COLLECTOR.collect(request({"slo": "availability", "window": "7d"}, tmp_path))
    assert ev.found and ev.rows[0]["budget_remaining"] == pytest.approx(1.0)


def test_buckets_from_a_bigquery_query(bigquery_emulator: str) -> None:
    """Live source: 28 daily buckets of 1,000,000 events, 300 bad each, objective 99.9 %:
    error ratio 0.0003, budget remaining 1 - 0.0003 / 0.001 = 0.7."""
    from dataclasses import replace

    from readiness.testing.collectors import AS_OF, request
    from readiness.testing.emulators import PROJECT

    sql = (
        "SELECT TIMESTAMP_SUB(@until, INTERVAL d DAY) AS start, 1440 AS minutes, "
        "999700 AS good, 1000000 AS total, @slo AS slo, @service AS service "
        "FROM UNNEST(GENERATE_ARRAY(1, 28)) AS d"
    )
    params = {"slo": "availability", "sql": sql, "objective": 0.999, "project": PROJECT}
    req = replace(
        request(params, Path("."), as_of=AS_OF),
        live=True,
        context=CollectContext(bigquery_endpoint=bigquery_emulator, api_retry_s=5.0),
    )
    ev = COLLECTOR.collect(req)
    assert ev.error is None and ev.found, ev.error or ev.summary
    (row,) = ev.rows
    assert row["total"] == 28_000_000 and row["coverage"] == 1.0
    assert abs(row["budget_remaining"] - 0.7) < 1e-9
    assert ev.uri == "bigquery://query/slo/availability"
    # a query covering half the window is missing, never a pass
    half = sql.replace("GENERATE_ARRAY(1, 28)", "GENERATE_ARRAY(1, 14)")
    ev = COLLECTOR.collect(replace(req, params={**params, "sql": half}))
    assert not ev.found and "50%" in ev.summary["missing"]

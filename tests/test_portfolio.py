"""The portfolio's figures over a simulated quarter, recomputed here from the raw evaluation
rows: the daily trend and the time below target (aggregated in SQL), and its pages."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from quarter_project import simulate_quarter
from readiness.audit.portfolio import TREND_DAYS, portfolio
from readiness.history import history_for
from readiness.spec.config import Settings

NOW = datetime(2026, 12, 20, 12, tzinfo=UTC)  # mid-December: the quarter so far
Q_START = datetime(2026, 10, 1, tzinfo=UTC)


@pytest.fixture(scope="module", params=["duckdb", "bigquery"])
def quarter(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The same SQL on both warehouses: DuckDB reads it translated, the emulator as written."""
    root = tmp_path_factory.mktemp(f"portfolio-{request.param}")
    if request.param == "duckdb":
        return simulate_quarter(root)
    from readiness.testing.emulators import PROJECT

    endpoint = request.getfixturevalue("bigquery_emulator")
    history = f"bigquery://{PROJECT}/portfolio_{uuid.uuid4().hex[:8]}"
    return simulate_quarter(root, history=history, bigquery_endpoint=endpoint)


def _evaluations(settings: Settings) -> dict[str, list[dict[str, Any]]]:
    rows = history_for(settings).select(
        "SELECT service, run_id, evaluated_at, achieved_rank, target_rank "
        "FROM {dataset}.evaluations ORDER BY service, evaluated_at, run_id"
    )
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        at = row["evaluated_at"]
        row["evaluated_at"] = at if at.tzinfo else at.replace(tzinfo=UTC)
        if row["evaluated_at"] <= NOW:
            out[row["service"]].append(row)
    return out


def _expected_trend(rows: list[dict[str, Any]]) -> list[tuple[str, int]]:
    """Each day's lowest level since TREND_DAYS ago, kept where it changes, and the last."""
    since = NOW - timedelta(days=TREND_DAYS)
    days: dict[str, int] = {}
    for row in rows:
        if row["evaluated_at"] >= since:
            day = row["evaluated_at"].date().isoformat()
            days[day] = min(days.get(day, 99), int(row["achieved_rank"]))
    ordered = sorted(days.items())
    return [
        (day, rank)
        for i, (day, rank) in enumerate(ordered)
        if i == 0 or ordered[i - 1][1] != rank or i == len(ordered) - 1
    ]


def _expected_below(rows: list[dict[str, Any]]) -> float:
    below = 0.0
    for i, row in enumerate(rows):
        until = rows[i + 1]["evaluated_at"] if i + 1 < len(rows) else NOW
        begin = max(row["evaluated_at"], Q_START)
        if until > begin and int(row["achieved_rank"]) < int(row["target_rank"]):
            below += (until - begin).total_seconds()
    return round(below / (NOW - Q_START).total_seconds(), 4)


def test_trend_and_time_below_target_match_the_evaluations(quarter: Settings) -> None:
    found = portfolio(history_for(quarter), NOW)
    raw = _evaluations(quarter)
    assert [r.service for r in found.rows] == sorted(raw) and found.total == len(raw)
    assert found.below_target == sum(r.below_target for r in found.rows)
    for row in found.rows:
        assert row.trend == _expected_trend(raw[row.service]), row.service
        assert row.below_target_share == _expected_below(raw[row.service]), row.service
    # the simulated quarter has both: a level that changes, and time spent below target
    assert any(len({rank for _day, rank in r.trend}) > 1 for r in found.rows)
    assert any(0 < r.below_target_share < 1 for r in found.rows)


def test_a_page_reads_its_own_services_and_counts_them_all(quarter: Settings) -> None:
    history = history_for(quarter)
    whole = portfolio(history, NOW)
    first = portfolio(history, NOW, limit=1)
    second = portfolio(history, NOW, offset=1, limit=1)
    assert [r.service for r in first.rows + second.rows] == [r.service for r in whole.rows]
    assert first.total == second.total == whole.total == 2
    assert first.rows[0] == whole.rows[0] and second.rows[0] == whole.rows[1]
    assert portfolio(history, NOW, offset=2, limit=1).rows == []
    # a filter counts what it keeps, on every page
    level = whole.rows[1].level
    kept = portfolio(history, NOW, matches=lambda _s, at: at == level)
    assert {r.service for r in kept.rows} == {r.service for r in whole.rows if r.level == level}
    assert kept.total == len(kept.rows)
    assert portfolio(history, NOW, visible={whole.rows[0].service}).total == 1

"""Benchmark: the readiness pages' reads (``readiness.audit.portfolio``) over 1,000 services with a
quarter of daily history in DuckDB, as the api-server plugin runs them.

    python bench/ui.py [--services 1000] [--items 100] [--days 92] [--repeat 5]

Synthesises the history with ``bench/report.py``'s generator (one evaluation per service per
day, items failing in streaks), then times what the portfolio page reads (its first page of
100 services; every service's level is read for the counts), every service on one page (as
before the page was paged), and one service's page, each the median of ``--repeat`` calls
after a warm-up, and prints the number of queries each sends. Targets: portfolio ≤ 1 s,
service page ≤ 300 ms. Figures, not assertions."""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from report import synthesise  # noqa: E402

NOW = datetime(2026, 12, 31, 12, tzinfo=UTC)
#: Services a portfolio page shows (``readiness_airflow.ui.PAGE``; the plugin imports Airflow).
PAGE = 100


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=1000)
    parser.add_argument("--items", type=int, default=100)
    parser.add_argument("--days", type=int, default=92)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)

    from readiness.audit.portfolio import portfolio, service_detail
    from readiness.history.duckdb_store import DuckDBHistory

    with tempfile.TemporaryDirectory(prefix="readiness-ui-bench-") as work:
        path = Path(work) / "history.duckdb"
        started = time.perf_counter()
        rows = synthesise(path, args.services, args.items, args.days)
        made = time.perf_counter() - started
        history = DuckDBHistory(path)

        def timed(call: object) -> tuple[float, int]:
            seconds = []
            queries = 0
            call()  # type: ignore[operator]  # warm-up: DuckDB's caches, the views' plans
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                queries = call()  # type: ignore[operator]
                seconds.append(time.perf_counter() - t0)
            return statistics.median(seconds), queries

        def first_page() -> int:  # what the page reads: one page of PAGE services
            with history.session():
                found = portfolio(history, NOW, limit=PAGE)
            assert len(found.rows) == min(PAGE, args.services) and found.total == args.services
            return found.queries

        def whole() -> int:  # every service on one page (before the page was paged)
            with history.session():
                found = portfolio(history, NOW)
            assert len(found.rows) == args.services
            return found.queries

        def one() -> int:
            with history.session():
                detail = service_detail(history, "svc7", NOW)
            assert detail is not None
            return detail.queries

        portfolio_s, portfolio_q = timed(first_page)
        whole_s, _whole_q = timed(whole)
        service_s, service_q = timed(one)
    figures = {
        "services": args.services,
        "item_rows": rows,
        "synthesis_s": round(made, 1),
        "portfolio_s": round(portfolio_s, 3),
        "portfolio_queries": portfolio_q,
        "portfolio_unpaged_s": round(whole_s, 3),
        "service_page_s": round(service_s, 3),
        "service_page_queries": service_q,
    }
    print(
        f"{args.services} services, {rows:,} item rows (made in {made:.0f} s): "
        f"portfolio page of {PAGE} {portfolio_s * 1000:.0f} ms in {portfolio_q} queries "
        f"(target ≤ 1000 ms; all {args.services} on one page: {whole_s * 1000:.0f} ms); "
        f"service page {service_s * 1000:.0f} ms in {service_q} queries (target ≤ 300 ms)"
    )
    return figures


if __name__ == "__main__":
    main()

"""Benchmark: the quarterly report over a portfolio's quarter of history.

    python bench/report.py [--services 50] [--items 100] [--days 92]

Synthesises one evaluation per service per day across 2026Q4 in DuckDB (items fail now and
then, in streaks), then, each in a fresh interpreter so peak RSS is its own:
- ``report``: ``build_quarter_report`` + rendering (what ``readiness report`` does);
- ``rows``: only pulling every item row of the quarter into Python, which is what the
  report would cost if it aggregated in Python instead of in the warehouse.
Prints the figures and the ratios; figures, not assertions."""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2027, 1, 1, 7, tzinfo=UTC)


def synthesise(path: Path, services: int, items: int, days: int) -> int:
    """History for ``services`` × ``days`` evaluations of ``items`` items; returns item rows."""
    from readiness.history.duckdb_store import DuckDBHistory

    DuckDBHistory(path).init()
    import duckdb

    con = duckdb.connect(str(path))
    # an item fails for a 3-day streak when a hash of (service, item, week) says so
    failing = "(hash(s.i, it.i, d.i // 7) % 23 = 0 AND d.i % 7 < 3)"
    con.execute(
        f"""
        INSERT INTO readiness.evaluations (run_id, run_key, service, evaluated_at, trigger,
            achieved_level, achieved_rank, target_level, target_rank, previous_level, regressions)
        SELECT 'svc' || s.i || '@d' || d.i, 'd' || d.i, 'svc' || s.i,
               TIMESTAMP '2026-10-01 05:00:00' + d.i * INTERVAL 1 DAY, 'scheduled',
               CASE WHEN bool_or({failing}) THEN 'L1' ELSE 'L3' END,
               CASE WHEN bool_or({failing}) THEN 1 ELSE 3 END, 'L3', 3, NULL, 0
        FROM range({services}) s(i), range({days}) d(i), range({items}) it(i)
        GROUP BY s.i, d.i
        """
    )
    con.execute(
        f"""
        INSERT INTO readiness.item_results (run_id, service, item_id, title, required_from,
            required_rank, severity, status, effective_status, regressed, episode_id, reason,
            evidence_kind, evaluated_at, observed)
        SELECT 'svc' || s.i || '@d' || d.i, 'svc' || s.i, 'I' || it.i, 'Item ' || it.i,
               'L' || (it.i % 4), it.i % 4, 'medium',
               CASE WHEN {failing} THEN 'fail' ELSE 'pass' END,
               CASE WHEN {failing} THEN 'fail' ELSE 'pass' END,
               {failing} AND d.i % 7 = 0,
               CASE WHEN {failing} THEN 'ep-' || s.i || '-' || it.i || '-' || (d.i // 7) END,
               'synthetic', CASE WHEN it.i % 10 = 0 THEN 'attestation' ELSE 'document' END,
               TIMESTAMP '2026-10-01 05:00:00' + d.i * INTERVAL 1 DAY,
               '{{"rows": [], "summary": {{}}}}'
        FROM range({services}) s(i), range({days}) d(i), range({items}) it(i)
        """
    )
    rows = con.execute("SELECT count(*) FROM readiness.item_results").fetchone()
    con.close()
    return int(rows[0]) if rows else 0


def worker(mode: str, path: Path) -> dict[str, Any]:
    from readiness.history.duckdb_store import DuckDBHistory

    history = DuckDBHistory(path)
    started = time.perf_counter()
    if mode == "report":
        from readiness.audit.reports.html import render_html
        from readiness.audit.reports.quarterly import build_quarter_report
        from readiness.audit.reports.render import render_markdown

        report = build_quarter_report(history, "2026Q4", NOW)
        size = len(render_html(report)) + len(render_markdown(report))
        detail = {"services": len(report.services), "bytes": size}
    else:
        rows = history.query(
            "SELECT service, run_id, item_id, title, required_from, required_rank, "
            "effective_status, evaluated_at FROM readiness.item_results"
        )
        detail = {"rows": len(rows)}
    return {
        "seconds": time.perf_counter() - started,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        **detail,
    }


def _run(mode: str, path: Path) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--worker", mode, str(path)],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=50)
    parser.add_argument("--items", type=int, default=100)
    parser.add_argument("--days", type=int, default=92)
    parser.add_argument("--worker", nargs=2, metavar=("MODE", "PATH"))
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker[0], Path(args.worker[1]))))
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "history.duckdb"
        t0 = time.perf_counter()
        rows = synthesise(path, args.services, args.items, args.days)
        made = time.perf_counter() - t0
        report = _run("report", path)
        pulled = _run("rows", path)
    print(
        f"history: {args.services} services × {args.days} days × {args.items} items = "
        f"{rows:,} item rows (synthesised in {made:.1f} s)"
    )
    print(f"{'':24}{'seconds':>10}{'peak RSS MB':>14}")
    print(f"{'report (build+render)':24}{report['seconds']:>10.2f}{report['peak_rss_mb']:>14.0f}")
    print(f"{'pull every item row':24}{pulled['seconds']:>10.2f}{pulled['peak_rss_mb']:>14.0f}")
    print(
        f"report / pulling the rows: time {report['seconds'] / pulled['seconds']:.2f}×, "
        f"memory {report['peak_rss_mb'] / pulled['peak_rss_mb']:.2f}×; "
        f"{rows / report['seconds']:,.0f} item rows/s through the report"
    )


if __name__ == "__main__":
    main()

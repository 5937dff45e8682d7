"""Benchmarks for a fleet: evaluation throughput and memory, Great Expectations against a
plain-pandas floor, DAG-folder parse time against hand-written DAGs, history write rates.

    make bench            (BENCH_N services, default 1000; also 10 and 100 below it)

Every figure is measured in a fresh interpreter so peak RSS is the run's own. Prints one
table and writes bench/results.json (per N: items_per_s, gx_vs_floor, parse_vs_static,
peak_rss_mb, …). Figures, not assertions: the smoke test only checks that it runs."""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH), str(ROOT / "plugins")]
AS_OF = datetime(2026, 11, 20, 6, tzinfo=UTC)


# --------------------------------------------------------------------------- worker


def worker(mode: str, folder: Path) -> dict[str, Any]:
    """One evaluation of every service in ``folder`` with ``mode`` = gx | floor."""
    started = time.perf_counter()
    if mode == "gx":
        import great_expectations  # noqa: F401  (timed apart: a task pays it once)
    import_s = time.perf_counter() - started

    from readiness.history import RunMeta
    from readiness.history.duckdb_store import DuckDBHistory
    from readiness.pipeline.engine import evaluate
    from readiness.pipeline.validation import BatchValidator
    from readiness.spec.config import Settings

    if mode == "gx":
        validator: Any = BatchValidator()
    else:
        from floor import FloorValidator

        validator = FloorValidator()
    timed = {"validate_s": 0.0}
    inner = validator.validate

    def validate(tasks: Any, as_of: datetime) -> Any:
        t0 = time.perf_counter()
        try:
            return inner(tasks, as_of)
        finally:
            timed["validate_s"] += time.perf_counter() - t0

    validator.validate = validate
    history_file = folder / f"history-{mode}.duckdb"
    history_file.unlink(missing_ok=True)
    settings = Settings(
        project_root=ROOT,
        services=[str(folder / "services")],
        # the generated stores live there: a spec's own store must be under it
        evidence_root=str(folder / "evidence"),
        history=f"duckdb://{history_file}",
        outbox=str(folder / f"outbox-{mode}"),
        collect_workers=4,
    )
    t0 = time.perf_counter()
    report = evaluate(settings, as_of=AS_OF, meta=RunMeta("bench"), validator=validator)
    eval_s = time.perf_counter() - t0
    items = sum(len(ev.items) for ev in report.evaluations)
    statuses = Counter(r.status.value for ev in report.evaluations for r in ev.items)
    by_item = {
        f"{ev.service}/{r.item.id}": r.status.value for ev in report.evaluations for r in ev.items
    }
    # history write alone (the run replaces its own rows, so this is the same write again)
    history = DuckDBHistory(history_file)
    t0 = time.perf_counter()
    history.write(report.evaluations, RunMeta("bench"))
    write_s = time.perf_counter() - t0
    rows = items + len(report.evaluations)
    return {
        "services": len(report.evaluations),
        "items": items,
        "import_s": round(import_s, 2),
        "eval_s": round(eval_s, 2),
        "validate_s": round(timed["validate_s"], 2),
        "items_per_s": round(items / eval_s, 1),
        "gx_calls": report.gx_calls,
        "statuses": dict(sorted(statuses.items())),
        "item_statuses": by_item,
        "duckdb_rows_per_s": round(rows / write_s),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def bigquery_worker(folder: Path, n: int) -> dict[str, Any]:
    """Rows/s of BigQuery load jobs + MERGE against the emulator (N evaluations)."""
    from readiness.history import RunMeta
    from readiness.history.bigquery_store import BigQueryHistory
    from readiness.pipeline.engine import evaluate
    from readiness.spec.config import Settings
    from readiness.testing.emulators import PROJECT, running_bigquery_emulator

    settings = Settings(
        project_root=ROOT,
        services=[str(folder / "services")],
        # the generated stores live there: a spec's own store must be under it
        evidence_root=str(folder / "evidence"),
        history=f"duckdb://{folder / 'history-bq-source.duckdb'}",
        outbox=str(folder / "outbox-bq"),
        collect_workers=4,
    )
    report = evaluate(settings, as_of=AS_OF, meta=RunMeta("bench"), dry_run=True)
    with running_bigquery_emulator() as endpoint:
        store = BigQueryHistory(PROJECT, "bench", endpoint=endpoint, timeout_s=60)
        store.init()
        rows = sum(len(ev.items) + 1 for ev in report.evaluations)
        t0 = time.perf_counter()
        store.write(report.evaluations, RunMeta("bench"))
        seconds = time.perf_counter() - t0
    return {"bigquery_rows_per_s": round(rows / seconds), "bigquery_rows": rows}


def _in_fresh_interpreter(*args: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, *args],
        capture_output=True,
        text=True,
        timeout=3600,
        env={**os.environ, "READINESS_HOME": str(ROOT)},
    )
    if out.returncode != 0:
        raise RuntimeError(f"bench worker {args} failed:\n{out.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


# --------------------------------------------------------------------------- runner


def measure(n: int, work: Path, with_bigquery: bool) -> dict[str, Any]:
    from generate import generate
    from parse_dags import measure as parse_measure

    folder = generate(n, work / f"n{n}")
    gx = _in_fresh_interpreter("--worker", "gx", str(folder))
    floor = _in_fresh_interpreter("--worker", "floor", str(folder))
    parse = parse_measure(n, Path(tempfile.mkdtemp(prefix="parse-", dir=work)))
    row: dict[str, Any] = {
        "services": n,
        "items": gx["items"],
        "eval_s": gx["eval_s"],
        "gx_import_s": gx["import_s"],
        "items_per_s": gx["items_per_s"],
        "validate_s": gx["validate_s"],
        "floor_eval_s": floor["eval_s"],
        "floor_validate_s": floor["validate_s"],
        "gx_vs_floor": round(gx["eval_s"] / floor["eval_s"], 2),
        "gx_vs_floor_validation": round(gx["validate_s"] / max(floor["validate_s"], 1e-6), 2),
        # each item's status, not only the counts
        "same_statuses": gx["item_statuses"] == floor["item_statuses"],
        "status_disagreements": sorted(
            k
            for k in gx["item_statuses"]
            if gx["item_statuses"][k] != floor["item_statuses"].get(k)
        )[:10],
        "statuses": gx["statuses"],
        "gx_calls": gx["gx_calls"],
        "peak_rss_mb": gx["peak_rss_mb"],
        "floor_peak_rss_mb": floor["peak_rss_mb"],
        "duckdb_rows_per_s": gx["duckdb_rows_per_s"],
        "parse_s": parse["generated_s"],
        "parse_static_s": parse["static_s"],
        "parse_vs_static": parse["parse_vs_static"],
    }
    if with_bigquery:
        row.update(_in_fresh_interpreter("--bigquery", str(folder), str(n)))
    return row


def sizes(top: int) -> list[int]:
    return sorted({s for s in (10, 100, top) if s <= top})


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", nargs=2, metavar=("MODE", "FOLDER"))
    parser.add_argument("--bigquery", nargs=2, metavar=("FOLDER", "N"))
    parser.add_argument("--work", type=Path, default=ROOT / "var" / "bench")
    parser.add_argument("--out", type=Path, default=BENCH / "results.json")
    parser.add_argument("--no-bigquery", action="store_true", help="skip the emulator figures")
    args = parser.parse_args(argv)
    from readiness.testing.interrupts import stop_on_termination

    stop_on_termination()  # the BigQuery emulator is stopped on a timeout's SIGTERM too
    if args.worker:
        print(json.dumps(worker(args.worker[0], Path(args.worker[1]))))
        return []
    if args.bigquery:
        print(json.dumps(bigquery_worker(Path(args.bigquery[0]), int(args.bigquery[1]))))
        return []
    top = int(os.environ.get("BENCH_N", "1000"))
    rows = []
    for n in sizes(top):
        # the emulator runs GoogleSQL on DuckDB: its throughput is measured where it is
        # quick enough to matter (a fleet's daily write is one load job per table anyway)
        rows.append(measure(n, args.work, with_bigquery=not args.no_bigquery and n <= 100))
        print(f"measured N={n}", file=sys.stderr, flush=True)
    header = (
        f"{'N':>5} {'items':>7} {'eval s':>7} {'items/s':>8} {'GX/floor':>8} "
        f"{'valid. GX/floor':>15} {'RSS MB':>7} {'parse/static':>12} {'DuckDB rows/s':>13} "
        f"{'BQ rows/s':>9}"
    )
    print(header)
    for r in rows:
        print(
            f"{r['services']:>5} {r['items']:>7} {r['eval_s']:>7.1f} {r['items_per_s']:>8.0f} "
            f"{r['gx_vs_floor']:>8.2f} {r['gx_vs_floor_validation']:>15.2f} "
            f"{r['peak_rss_mb']:>7} {r['parse_vs_static']:>12.2f} {r['duckdb_rows_per_s']:>13} "
            f"{r.get('bigquery_rows_per_s', '-'):>9}"
        )
    if len(rows) >= 2:
        first, last = rows[0], rows[-1]
        growth = (last["eval_s"] / first["eval_s"]) / (last["services"] / first["services"])
        print(
            f"cost growth from N={first['services']} to N={last['services']}: "
            f"{growth:.2f} x linear (1.0 = linear)"
        )
    for r in rows:
        if not r["same_statuses"]:
            print(f"N={r['services']}: GX and the floor disagree on statuses")
    results = {str(r["services"]): r for r in rows}
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    return rows


if __name__ == "__main__":
    main()

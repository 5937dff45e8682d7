"""The warehouse's write path at 1,000, 10,000 and 100,000 services a day: statements,
load jobs, bytes, dollars and the time from the tick to the last service's level, for the
direct path (no ``history_transfer``; one ``record`` per run: a look-up, two load jobs, two
``MERGE``s and the verdict's ``MERGE``, through a pool of BigQuery's 2 concurrent DML
statements per table)
and for the batched transfer (``history_transfer``: runs written as shards; the transfer DAG,
every ``--interval`` minutes, loads them with one load job and one ``MERGE`` per table, the
same replace-by-run, and signs their verdicts with one more of each).

Measured here, against the BigQuery emulator with the official client: the statements and
load jobs each path sends (counted on the client), for K runs written one by one and as one
batch, and the bytes of the rows written. Computed from those: the per-day table. What the
emulator cannot say (BigQuery's statement latency, billed bytes) comes from the documented
figures in ``docs/history.md``, named in the output as assumptions.

    python bench/warehouse.py [--runs 20] [--slot-s 5] [--interval 5]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

AS_OF = datetime(2026, 11, 20, 6, tzinfo=UTC)
ITEM_ROW_B = 1_079  # docs/history.md: BigQuery storage size of an item_results row
EVAL_ROW_B = 335
ITEMS = 99
TIB = 2**40
PRICE_TIB = 6.25  # on-demand, per TiB billed
MIN_BILLED = 10 * 2**20  # every statement is billed at least 10 MB
LOAD_JOBS_PER_DAY = 100_000  # project-wide quota
DML_AT_ONCE = 2  # mutating DML running per table; 20 more queue, then they fail


def measured(runs: int, work: Path) -> dict[str, Any]:
    """Jobs per run written one by one (as each ``record`` task does without the
    transfer, its verdict's ``MERGE`` aside) and through the transfer: the runs as shards,
    one ``transfer`` loading and signing them all, then every shard rewritten (each record
    retried) and transferred again, which must leave the same rows and verdicts."""
    from generate import generate
    from readiness.history import RunMeta
    from readiness.history.bigquery_store import BigQueryHistory
    from readiness.history.shards import ShardStore
    from readiness.pipeline.engine import evaluate
    from readiness.pipeline.transfer import shard_of, transfer
    from readiness.pipeline.verdicts import Sealer
    from readiness.spec.config import Settings
    from readiness.support.dsse import SigningKey
    from readiness.testing.emulators import PROJECT, CountingClient, running_bigquery_emulator

    folder = generate(runs, work / f"n{runs}")
    settings = Settings(
        project_root=ROOT,
        services=[str(folder / "services")],
        evidence_root=str(folder / "evidence"),
        history=f"duckdb://{folder / 'source.duckdb'}",
        outbox=str(folder / "outbox"),
        collect_workers=4,
    )
    evaluations = evaluate(settings, as_of=AS_OF, meta=RunMeta("bench"), dry_run=True).evaluations
    out: dict[str, Any] = {"runs": len(evaluations)}
    with running_bigquery_emulator() as endpoint:
        for mode, dataset in (("per_run", "per_run"), ("batch", "batch")):
            store = BigQueryHistory(PROJECT, dataset, endpoint=endpoint, timeout_s=60)
            store.init()
            counting = CountingClient(store.client)
            store._client = counting  # the lazily built client, wrapped
            started = time.perf_counter()
            if mode == "per_run":
                for ev in evaluations:
                    store.write([ev], RunMeta(f"bench-{ev.service}"))
                jobs = Counter(counting.jobs)
                verdicts = 0
            else:  # the production path: shards, then one transfer loads and signs them
                shards = ShardStore(str(work / f"shards-{runs}"))
                sealer = Sealer(settings, SigningKey.generate())

                def put_shards(shards: ShardStore = shards) -> None:
                    for ev in evaluations:
                        shards.put(shard_of(settings, ev, RunMeta(f"bench-{ev.service}"), None))

                put_shards()
                transferred = Counter(counting.jobs)
                transfer(store, shards, sealer, limit=10_000)
                jobs = Counter(counting.jobs) - transferred
                put_shards()  # every record task retried, then the transfer again
                transfer(store, shards, sealer, limit=10_000)
                verdicts = len(store.verdicts())
            rows = store.query(f"SELECT COUNT(*) AS n FROM {store.ref}.item_results")[0]["n"]
            out[mode] = {
                "jobs": dict(jobs),
                "seconds": round(time.perf_counter() - started, 2),
                "item_rows": rows,
                "verdicts": verdicts,
            }
    return out


def per_day(services: int, m: dict[str, Any], slot_s: float, interval_min: int) -> dict[str, Any]:
    """One day of daily runs, each path, from the measured jobs per run."""
    n = m["runs"]
    per_run = {k: v / n for k, v in m["per_run"]["jobs"].items()}
    batch = m["batch"]["jobs"]  # for one batch, whatever its size
    day_items_b = services * ITEMS * ITEM_ROW_B
    day_evals_b = services * EVAL_ROW_B
    # per-run: each item MERGE reads the day's partition as it fills (half on average)
    direct_dml = per_run.get("dml", 0) * services + services  # + the verdict's MERGE
    direct_bytes = services * (
        max(MIN_BILLED, day_items_b / 2) + max(MIN_BILLED, day_evals_b / 2) + 2 * MIN_BILLED
    )
    # two slots of the pool, each held slot_s for one record
    direct_last_h = services * slot_s / DML_AT_ONCE / 3600
    batches = min(24 * 60 // interval_min, services)
    batched_dml = batch.get("dml", 0) * batches  # measured: the verdicts' MERGE included
    batched_bytes = batches * (
        max(MIN_BILLED, day_items_b / 2) + max(MIN_BILLED, day_evals_b / 2) + 2 * MIN_BILLED
    )
    # the last run waits for the next batch, then that batch's write (slot_s × 2: bigger)
    batched_last_h = (interval_min * 60 + 2 * slot_s) / 3600
    return {
        "services": services,
        "direct": {
            "dml": round(direct_dml),
            "load_jobs": round(per_run.get("load", 0) * services),
            "bytes": direct_bytes,
            "usd": direct_bytes / TIB * PRICE_TIB,
            "last_level_h": direct_last_h,
        },
        "batched": {
            "dml": round(batched_dml),
            "load_jobs": round(batch.get("load", 0) * batches),
            "bytes": batched_bytes,
            "usd": batched_bytes / TIB * PRICE_TIB,
            "last_level_h": batched_last_h,
        },
        # Storage Write API, committed streams: $0.025 per GiB ingested, no DML
        "write_api_usd": (day_items_b + day_evals_b) / 2**30 * 0.025,
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--slot-s", type=float, default=5.0, help="assumed: one record's DML")
    parser.add_argument("--interval", type=int, default=5, help="batched: minutes a batch")
    parser.add_argument("--work", type=Path, default=ROOT / "var" / "bench")
    args = parser.parse_args(argv)
    from readiness.testing.interrupts import stop_on_termination

    stop_on_termination()  # the emulator is stopped on a timeout's SIGTERM too
    m = measured(args.runs, args.work)
    print(
        f"measured on the emulator, {m['runs']} runs: one by one {m['per_run']['jobs']} "
        f"({m['per_run']['seconds']} s), as one batch {m['batch']['jobs']} "
        f"({m['batch']['seconds']} s, verdicts signed included); after every record and "
        f"the transfer were retried: {m['batch']['item_rows']} item rows and "
        f"{m['batch']['verdicts']} verdicts (one run each: {m['per_run']['item_rows']} rows)"
    )
    print(
        f"assumed: {args.slot_s} s of DML a record (not measured on BigQuery), 2 DML at once "
        f"per table, ${PRICE_TIB}/TiB billed, 10 MB minimum a statement, a batch every "
        f"{args.interval} min"
    )
    head = (
        f"{'services':>9} | {'path':>8} | {'DML/day':>8} | {'loads/day':>9} | "
        f"{'GB billed':>9} | {'$/day':>7} | {'last level after':>16}"
    )
    print(head)
    rows = [per_day(s, m, args.slot_s, args.interval) for s in (1_000, 10_000, 100_000)]
    for r in rows:
        for path in ("direct", "batched"):
            p = r[path]
            over = " (over quota)" if p["load_jobs"] > LOAD_JOBS_PER_DAY else ""
            print(
                f"{r['services']:>9,} | {path:>8} | {p['dml']:>8,} | {p['load_jobs']:>9,} | "
                f"{p['bytes'] / 1e9:>9,.0f} | {p['usd']:>7.2f} | "
                f"{p['last_level_h']:>14.1f} h{over}"
            )
        print(f"{'':>9} | write API: ${r['write_api_usd']:.2f}/day ingest, no DML")
    return {"measured": m, "days": rows}


if __name__ == "__main__":
    main()

"""The path production runs: real api-server, scheduler and dag-processor on PostgreSQL,
K triggered runs of one service DAG, with 2 specs and with N generated specs in the folder.

CPU is read per component from ``/proc`` (children included: every task process is forked
and reaped by an executor worker), minus the component's idle rate measured over a window
before the runs. Each task also reports its own CPU split (``runtime.task_metrics``):
before the task's code (fork, DAG-file parse, task start), the Great Expectations import,
and the task's own work. Prints one table; ``--json`` writes the rows.

    python bench/production_path.py [--runs K] [--specs 2 1000] [--executor local celery]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "plugins")]

from readiness.testing.interrupts import stop_on_termination  # noqa: E402
from readiness.testing.postgres import throwaway_postgres  # noqa: E402
from readiness_airflow.cluster import Cluster, local_cluster  # noqa: E402

SERVICE = "file-storage-service"
DAG_ID = f"readiness__{SERVICE}"
STORY = datetime(2026, 11, 20, 6, tzinfo=UTC)
EXECUTORS = {
    "local": "LocalExecutor",
    # the LocalExecutor whose workers import GX once before forking tasks
    "local-preload": "readiness_airflow.executors.ReadinessLocalExecutor",
    "celery": "CeleryExecutor",
}
CELERY_CONFIG = "readiness_airflow.celery_config.CELERY_CONFIG"


def make_services(folder: Path, total: int) -> None:
    """The two sample specs plus ``total - 2`` copies of file-storage-service's."""
    shutil.copytree(ROOT / "services", folder)
    template = (folder / f"{SERVICE}.yaml").read_text()
    for i in range(max(0, total - 2)):
        name = f"bench-service-{i:04d}"
        text = template.replace(f"service: {SERVICE}", f"service: {name}")
        (folder / f"{name}.yaml").write_text(text)


def _idle(cluster: Cluster, seconds: float) -> dict[str, float]:
    """CPU-seconds per second of each component with nothing running."""
    before, started = cluster.cpu(), time.monotonic()
    time.sleep(seconds)
    after, elapsed = cluster.cpu(), time.monotonic() - started
    return {name: (after[name] - before[name]) / elapsed for name in before}


def _runs(cluster: Cluster) -> list[dict[str, Any]]:
    return list(cluster.call("GET", f"/api/v2/dags/{DAG_ID}/dagRuns")["dag_runs"])


def _all_parsed(cluster: Cluster, expected: int) -> bool:
    dags = cluster.call("GET", "/api/v2/dags?limit=1&tags=readiness")
    return int(dags["total_entries"]) >= expected


def measure(
    executor: str, specs: int, runs: int, idle_s: float, work: Path, interval: int | None
) -> dict[str, Any]:
    label = executor.rsplit(".", 1)[-1]
    services = work / f"services-{label}-{specs}-{interval}"
    make_services(services, specs)
    metrics = work / f"metrics-{label}-{specs}-{interval}.jsonl"
    env = {
        "READINESS_SERVICES": str(services),
        "READINESS_TASK_METRICS": str(metrics),
        # only the DAG under test runs: no cron ticks of a thousand others
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
        "AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS": CELERY_CONFIG,
    }
    if interval is not None:  # the large-installation setting (docs/scale.md)
        env["AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL"] = str(interval)
    workers = 2 if executor == "CeleryExecutor" else 0
    with throwaway_postgres() as pg:
        home = work / f"airflow-{label}-{specs}-{interval}"
        with local_cluster(
            pg, home, ROOT, executor=executor, celery_workers=workers, extra_env=env
        ) as cluster:
            cluster.wait("the DAG under test", lambda: cluster.dag_parsed(DAG_ID), 600)
            cluster.wait("every DAG parsed", lambda: _all_parsed(cluster, specs + 1), 900, 5)
            cluster.call("PATCH", f"/api/v2/dags/{DAG_ID}", {"is_paused": False})
            # Unpausing schedules the latest cron tick. Wait for it, then one triggered
            # warm-up run (it writes the bytecode caches a built image would ship with), so
            # neither overlaps the measured runs.
            cluster.wait("the cron tick's run", lambda: _runs(cluster), 120, 1)
            cluster.trigger(DAG_ID, "warm-up", "2026-11-01T06:00:00Z")
            for run in _runs(cluster):
                cluster.finished_run(DAG_ID, run["dag_run_id"], 900)
            idle = _idle(cluster, idle_s)
            metrics.unlink(missing_ok=True)
            per_run: list[dict[str, Any]] = []
            for k in range(runs):
                run_id = f"bench-{k}"
                before, started = cluster.cpu(), time.monotonic()
                logical = (STORY + timedelta(days=k)).isoformat().replace("+00:00", "Z")
                cluster.trigger(DAG_ID, run_id, logical)
                run = cluster.finished_run(DAG_ID, run_id, 900)
                wall = time.monotonic() - started
                after = cluster.cpu()
                spent = {name: after[name] - before[name] - idle[name] * wall for name in before}
                tis = cluster.task_instances(DAG_ID, run_id)
                per_run.append(
                    {
                        "state": run["state"],
                        "wall_s": wall,
                        "cpu_s": sum(spent.values()),
                        "by_component": spent,
                        "tasks": len(tis),
                        "workers": sorted({ti.get("hostname") or "" for ti in tis}),
                    }
                )
    tasks = (
        [json.loads(line) for line in metrics.read_text().splitlines()] if metrics.exists() else []
    )
    stages: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for task in tasks:
        stages[task["stage"]].append(task)
    n = len(per_run)
    task_count = sum(r["tasks"] for r in per_run)
    components = sorted(per_run[0]["by_component"]) if per_run else []
    before_task = sum(t["before_task_s"] for t in tasks)
    gx_import = sum(t["gx_import_s"] for t in tasks)
    work_s = sum(t["task_s"] for t in tasks) - gx_import
    in_tasks = before_task + gx_import + work_s
    return {
        "executor": label,
        "specs": specs,
        "min_file_process_interval": interval or 30,
        "runs": n,
        "succeeded": sum(r["state"] == "success" for r in per_run),
        "cpu_s_per_run": round(sum(r["cpu_s"] for r in per_run) / n, 2),
        "cpu_s_per_task": round(sum(r["cpu_s"] for r in per_run) / task_count, 3),
        "wall_s_per_run": round(sum(r["wall_s"] for r in per_run) / n, 1),
        "tasks_per_run": task_count / n,
        "cpu_s_per_run_by_component": {
            c: round(sum(r["by_component"][c] for r in per_run) / n, 2) for c in components
        },
        "idle_core_by_component": {c: round(v, 3) for c, v in idle.items()},
        "task_parse_and_start_s_per_task": round(before_task / max(1, len(tasks)), 3),
        "gx_import_s_per_run": round(gx_import / n, 2),
        "share_parse_and_start": round(before_task / in_tasks, 3) if in_tasks else 0.0,
        "share_gx_import": round(gx_import / in_tasks, 3) if in_tasks else 0.0,
        "share_task_work": round(work_s / in_tasks, 3) if in_tasks else 0.0,
        "workers": sorted({w for r in per_run for w in r["workers"] if w}),
    }


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--specs", type=int, nargs="+", default=[2, 1000])
    parser.add_argument("--executor", nargs="+", choices=sorted(EXECUTORS), default=["local"])
    parser.add_argument("--idle", type=float, default=30.0, help="idle window, seconds")
    parser.add_argument(
        "--min-file-process-interval",
        type=int,
        help="the dag-processor's re-parse interval, seconds (Airflow's default: 30)",
    )
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    stop_on_termination()  # a timeout's SIGTERM still stops the cluster and drops its DB
    work = Path(tempfile.mkdtemp(prefix="readiness-prod-bench-"))
    try:
        rows = [
            measure(EXECUTORS[e], n, args.runs, args.idle, work, args.min_file_process_interval)
            for e in args.executor
            for n in args.specs
        ]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    header = (
        f"{'executor':>22} {'specs':>6} {'interval':>8} {'ok':>5} "
        f"{'CPU-s/run':>9} {'CPU-s/task':>10} "
        f"{'wall s':>7} {'tasks':>5} {'parse+start s/task':>18} {'GX import s/run':>15} "
        f"{'parse%':>6} {'import%':>7} {'work%':>6} {'idle dag-proc':>13}"
    )
    print(header)
    for r in rows:
        print(
            f"{r['executor']:>22} {r['specs']:>6} {r['min_file_process_interval']:>8} "
            f"{r['succeeded']:>2}/{r['runs']:<2} "
            f"{r['cpu_s_per_run']:>9.2f} {r['cpu_s_per_task']:>10.3f} {r['wall_s_per_run']:>7.1f} "
            f"{r['tasks_per_run']:>5.0f} {r['task_parse_and_start_s_per_task']:>18.3f} "
            f"{r['gx_import_s_per_run']:>15.2f} {100 * r['share_parse_and_start']:>5.0f}% "
            f"{100 * r['share_gx_import']:>6.0f}% {100 * r['share_task_work']:>5.0f}% "
            f"{r['idle_core_by_component'].get('dag-processor', 0):>13.3f}"
        )
    for r in rows:
        print(
            f"  {r['executor']} {r['specs']} specs, CPU-s/run by component: "
            f"{r['cpu_s_per_run_by_component']}; idle cores: {r['idle_core_by_component']}"
            + (f"; workers: {', '.join(r['workers'])}" if r["workers"] else "")
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
    return rows


if __name__ == "__main__":
    main()

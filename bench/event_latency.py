"""Evidence acted on within minutes: the latency from a file landing in a service's evidence
store to its level in history and the run note, on the production path (real api-server,
scheduler, dag-processor and triggerer on PostgreSQL, LocalExecutor).

Each event is what a team's tooling does: write a drill report into the store and publish
one evidence event (``readiness.evidence.events``) to Redis. The service DAG's AssetWatcher
(common-messaging ``MessageQueueTrigger``) turns it into an asset-triggered run. Timed per
event: the file landing → the run created (the watcher and the scheduler), → the
evaluation in history (``record``), → the run note (the listener, after the last task).
Events are sequential: the next lands once the last one's run is done. Target ≤ 120 s.

    python bench/event_latency.py [--events 20]
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "plugins")]

from readiness.evidence.events import channel, publish  # noqa: E402
from readiness.history import open_history  # noqa: E402
from readiness.spec.config import load_settings  # noqa: E402
from readiness.testing.postgres import throwaway_postgres  # noqa: E402
from readiness_airflow.cluster import Cluster, local_cluster  # noqa: E402

SERVICE = "file-storage-service"
DAG_ID = f"readiness__{SERVICE}"
TARGET_S = 120.0


def _event_runs(cluster: Cluster) -> dict[str, dict[str, Any]]:
    runs = cluster.call("GET", f"/api/v2/dags/{DAG_ID}/dagRuns?limit=100")["dag_runs"]
    return {r["dag_run_id"]: r for r in runs if r["run_type"] == "asset_triggered"}


def _recorded(history_url: str, dag_run_id: str) -> bool:
    try:
        history = open_history(history_url, str(ROOT))
        rows = history.query(
            "SELECT 1 FROM readiness.evaluations WHERE dag_run_id = $id", {"id": dag_run_id}
        )
        history.close()
        return bool(rows)
    except Exception:
        return False


def _drill(folder: Path, at: datetime, i: int) -> Path:
    path = folder / "drill_report" / f"restore-bench-{at:%Y%m%dT%H%M%S}-{i:02d}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    stamp = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    body = {
        "kind": "backup_restore",
        "environment": "staging",
        "started_at": stamp,
        "finished_at": stamp,
        "outcome": "passed",
        "rto_minutes": 20,
        "rpo_minutes": 2,
    }
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(body))
    tmp.replace(path)  # lands whole, as the tooling's atomic upload would
    return path


def _one_event(cluster: Cluster, store: Path, url: str, i: int) -> dict[str, float]:
    """One drill report lands and is announced; seconds until each thing a person sees."""
    known = set(_event_runs(cluster))
    landed = time.monotonic()
    path = _drill(store / SERVICE, datetime.now(UTC), i)
    assert publish(url, SERVICE, [str(path.relative_to(store / SERVICE))])

    def created() -> str | None:
        return next(iter(set(_event_runs(cluster)) - known), None)

    run_id: str = cluster.wait("the event's run", created, 300, 0.2)
    t_run = time.monotonic() - landed
    cluster.wait("history", lambda: _recorded(cluster.history_url, run_id), 600, 0.5)
    t_history = time.monotonic() - landed

    def noted() -> bool:
        run = cluster.call("GET", f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}")
        return bool(run.get("note")) and run["state"] == "success"

    cluster.wait("the run note", noted, 600, 0.5)
    return {"run_created_s": t_run, "history_s": t_history, "note_s": time.monotonic() - landed}


def measure(events: int, work: Path) -> list[dict[str, float]]:
    store = work / "evidence"
    shutil.copytree(ROOT / "samples" / "evidence", store)
    url = load_settings(project_root=ROOT).evidence_events
    env = {
        "READINESS_EVIDENCE_ROOT": str(store),
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
        # only the service under test runs: no cron ticks in the way
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
    }
    rows: list[dict[str, float]] = []
    with (
        throwaway_postgres() as pg,
        local_cluster(pg, work / "airflow", ROOT, extra_env=env, triggerer=True) as cluster,
    ):
        import redis

        client = redis.Redis.from_url(url, socket_timeout=5)
        cluster.wait("the DAG", lambda: cluster.dag_parsed(DAG_ID), 300)
        cluster.call("PATCH", f"/api/v2/dags/{DAG_ID}", {"is_paused": False})
        cluster.wait(
            "the watcher to subscribe",
            lambda: dict(client.pubsub_numsub(channel(SERVICE))).get(channel(SERVICE).encode()),
            180,
            1,
        )
        # unpausing schedules the latest cron tick: let it finish first
        cluster.wait(
            "the cron tick's run",
            lambda: cluster.call("GET", f"/api/v2/dags/{DAG_ID}/dagRuns")["dag_runs"],
            120,
            0.5,
        )
        for run in cluster.call("GET", f"/api/v2/dags/{DAG_ID}/dagRuns")["dag_runs"]:
            cluster.finished_run(DAG_ID, run["dag_run_id"], 600)
        for i in range(events):
            rows.append(_one_event(cluster, store, url, i))
            r = rows[-1]
            print(
                f"event {i + 1:>2}: run created {r['run_created_s']:6.1f} s, in history "
                f"{r['history_s']:6.1f} s, run note {r['note_s']:6.1f} s",
                flush=True,
            )
    return rows


def main(argv: list[str] | None = None) -> list[dict[str, float]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20)
    args = parser.parse_args(argv)
    # a cancelled bench stops its cluster and database on the way out
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    work = Path(tempfile.mkdtemp(prefix="readiness-event-bench-"))
    try:
        rows = measure(args.events, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(
        f"\n{'over ' + str(len(rows)) + ' events':<22} {'median s':>9} {'max s':>7} {'target':>7}"
    )
    for key, label in (
        ("run_created_s", "land → run created"),
        ("history_s", "land → history"),
        ("note_s", "land → run note"),
    ):
        values = [r[key] for r in rows]
        print(
            f"{label:<22} {statistics.median(values):>9.1f} {max(values):>7.1f} "
            f"{'≤ ' + str(int(TARGET_S)):>7}"
        )
    return rows


if __name__ == "__main__":
    main()

"""Airflow's own metadata, pruned: the ``readiness__metadata_retention`` DAG runs
``airflow db clean`` daily on the tables that grow with every run, keeping
``metadata_retention_days``.

At 10,000 services a day the metadata DB gains 10,000 DAG runs, 50,000 task instances,
their XComs, logs and jobs; nothing in Airflow removes them. Readiness history is never
touched: it lives in its own store (DuckDB or BigQuery), and the run notes, verdicts and
approvals it needs were recorded there by the run itself. Airflow keeps each DAG's latest
run whatever its age, so the grid still shows where each service stands."""

from __future__ import annotations

import logging
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from airflow.sdk import DAG, task

log = logging.getLogger(__name__)
#: Outside the service DAGs' prefix space: no spec can be named after it (the factory
#: reserves it).
RETENTION_DAG_ID = "readiness__metadata_retention"

#: What ``airflow db clean`` may prune: the per-run rows. Not ``dag`` or ``dag_version``
#: (the DAGs themselves and the serialised versions their latest runs point to).
METADATA_TABLES = (
    "dag_run",
    "task_instance",
    "task_instance_history",
    "task_reschedule",
    "xcom",
    "log",
    "job",
    "trigger",
    "callback",
    "deadline",
    "asset_event",
    "import_error",
    "revoked_token",
    "celery_taskmeta",
    "celery_tasksetmeta",
)
#: A run of the retention DAG takes at most this long, however large the backlog.
TIMEOUT = timedelta(hours=2)


def clean_command(before: datetime, dry_run: bool = False) -> list[str]:
    """The ``airflow db clean`` invocation that prunes rows older than ``before``."""
    airflow = str(Path(sys.executable).parent / "airflow")
    return [
        airflow,
        "db",
        "clean",
        "--clean-before-timestamp",
        before.isoformat(),
        "--tables",
        ",".join(METADATA_TABLES),
        "--skip-archive",  # an archive table per run would grow as fast as what it prunes
        "--batch-size",
        "5000",  # short transactions: the scheduler keeps running
        "--yes",
        *(["--dry-run"] if dry_run else []),
    ]


def prune_metadata(keep_days: int, context: Any) -> dict[str, str]:
    """Prune everything older than ``keep_days`` before this run's logical date (so a
    replayed or late run prunes what it would have on its day)."""
    at = context.get("logical_date") or context["data_interval_end"]
    before = at - timedelta(days=keep_days)
    command = clean_command(before)
    log.info("pruning Airflow metadata older than %s: %s", before.isoformat(), " ".join(command))
    done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT.total_seconds())
    for line in (done.stdout + done.stderr).splitlines()[-40:]:
        log.info("db clean: %s", line)
    if done.returncode != 0:
        raise RuntimeError(f"airflow db clean exited {done.returncode}: {done.stderr[-2000:]}")
    return {"pruned_before": before.isoformat()}


def retention_dag(keep_days: int) -> DAG:
    """Daily: Airflow's own rows older than ``keep_days`` pruned (``retention``); readiness
    history is another store and is never touched."""

    @task(task_id="prune_metadata", retries=2, retry_delay=timedelta(minutes=10))
    def prune(**context: Any) -> dict[str, str]:
        return prune_metadata(keep_days, context)

    with DAG(
        dag_id=RETENTION_DAG_ID,
        description=(
            f"Prune Airflow's metadata DB: runs, tasks, XComs and logs older than {keep_days} days"
        ),
        schedule="30 3 * * *",
        start_date=datetime(2026, 1, 1, tzinfo=UTC),
        catchup=False,
        max_active_runs=1,
        dagrun_timeout=TIMEOUT,
        tags=["readiness", "maintenance"],
        doc_md=(
            "# Metadata retention\n\nRuns `airflow db clean` on the tables that grow with "
            f"every run, keeping {keep_days} days (setting `metadata_retention_days`) and "
            "each DAG's latest run. Readiness history (evaluations, items, verdicts, "
            "approvals) is in its own store and is never touched."
        ),
    ) as dag:
        prune()
    return dag

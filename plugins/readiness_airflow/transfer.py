"""The ``readiness__history_transfer`` DAG: every ``history_transfer_minutes``, the runs the
``record`` tasks wrote as shards are loaded into history in one batch and their verdicts
signed (``pipeline/transfer``, docs/history.md). Built only when ``history_transfer`` is set.

One run at a time (``max_active_runs=1``), so batches never race each other for a chain's
next place; a run that finds nothing pending costs one listing. A shard that cannot be loaded
is moved aside, the rest of the batch is loaded, and then the task fails without retrying,
so an SRE sees the shard named in the log."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from airflow.sdk import DAG, task

log = logging.getLogger(__name__)
#: Outside the service DAGs' prefix space: the factory reserves it.
TRANSFER_DAG_ID = "readiness__history_transfer"


def load_pending_shards(limit: int) -> dict[str, Any]:
    """One batch; the outcome (runs, verdicts, rejected shards) is the task's XCom."""
    from airflow.exceptions import AirflowFailException

    from readiness.pipeline.transfer import run_transfer
    from readiness_airflow.hooks import connection_credentials
    from readiness_airflow.runtime import settings

    # the signing key comes from connection readiness_verdict_key (a secrets backend)
    report = run_transfer(settings(), connection_credentials, limit)
    log.info("history transfer: %d runs loaded and signed", len(report.runs))
    for line in report.rejected:
        log.error("history transfer: shard moved aside: %s", line)
    if report.rejected:
        raise AirflowFailException(
            f"{len(report.rejected)} shards could not be loaded and were moved aside "
            f"(the other {len(report.runs)} runs are in history): {report.rejected[0]}"
        )
    return report.as_json()


def transfer_dag(minutes: int, limit: int, pool: str = "") -> DAG:
    """Every ``minutes``: the pending shards, up to ``limit``, loaded and sealed."""

    @task(
        task_id="load_pending_shards",
        retries=3,
        retry_delay=timedelta(seconds=30),
        retry_exponential_backoff=True,
        execution_timeout=timedelta(minutes=max(10, 2 * minutes)),
        pool=pool or None,
    )
    def load() -> dict[str, Any]:
        return load_pending_shards(limit)

    schedule: Any = f"*/{minutes} * * * *" if 60 % minutes == 0 else timedelta(minutes=minutes)
    with DAG(
        dag_id=TRANSFER_DAG_ID,
        description=f"Load the recorded runs into history every {minutes} minutes, and sign them",
        schedule=schedule,
        start_date=datetime(2026, 1, 1, tzinfo=UTC),
        catchup=False,
        max_active_runs=1,
        dagrun_timeout=timedelta(minutes=max(15, 3 * minutes)),
        tags=["readiness", "maintenance"],
        doc_md=(
            "# History transfer\n\nThe service DAGs' `record` tasks write each run as a shard "
            "(setting `history_transfer`). Every "
            f"{minutes} minutes this loads up to {limit} of them into history with one load "
            "job and one `MERGE` per table, and signs their verdicts onto each service's "
            "chain in the order they were written. A retry doubles nothing. A shard that "
            "cannot be loaded is moved to `rejected/` with its reason and fails this run."
        ),
    ) as dag:
        load()
    return dag

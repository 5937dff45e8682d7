"""The metadata retention DAG, run by Airflow (``dag.test()``): its ``airflow db clean``
prunes a service's runs, task instances and XComs older than the retention, keeps the
recent ones and each DAG's latest, and leaves readiness history exactly as it was."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from readiness.history import open_history
from readiness.spec.config import load_settings

FSS = "file-storage-service"
OLD = datetime(2026, 6, 1, 5, tzinfo=UTC)
RECENT = datetime(2026, 11, 20, 5, tzinfo=UTC)
PRUNED_ON = datetime(2026, 12, 1, 3, 30, tzinfo=UTC)  # keeps 90 days: from 2026-09-02


def _airflow_rows(dag_id: str) -> dict[str, list[Any]]:
    from airflow.models.dagrun import DagRun
    from airflow.models.taskinstance import TaskInstance
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        return {
            "runs": sorted(
                r.logical_date.date().isoformat()
                for r in session.scalars(select(DagRun).where(DagRun.dag_id == dag_id))
            ),
            "tasks": list(
                session.scalars(select(TaskInstance.run_id).where(TaskInstance.dag_id == dag_id))
            ),
            "xcoms": list(
                session.scalars(select(XComModel.run_id).where(XComModel.dag_id == dag_id))
            ),
        }


@pytest.mark.slow
def test_the_retention_dag_prunes_old_airflow_rows_and_never_history(
    metadata_db: Path, readiness_env: Path
) -> None:
    from readiness_airflow.factory import RETENTION_DAG_ID, build_dags
    from readiness_airflow.local import run_dag

    dags = build_dags(load_settings())
    service = dags[f"readiness__{FSS}"]
    assert run_dag(service, OLD).succeeded
    assert run_dag(service, RECENT).succeeded
    before = _airflow_rows(service.dag_id)  # other tests' runs share this metadata DB
    assert {"2026-06-01", "2026-11-20"} <= set(before["runs"]) and before["xcoms"]
    settings = load_settings()
    history = open_history(settings.history, str(settings.project_root))
    counts = "SELECT (SELECT COUNT(*) FROM readiness.evaluations) AS e, " + ", ".join(
        f"(SELECT COUNT(*) FROM readiness.{t}) AS {t}"
        for t in ("item_results", "verdicts", "issue_links")
    )
    kept = history.query(counts, {})

    pruned = run_dag(dags[RETENTION_DAG_ID], PRUNED_ON)
    assert pruned.succeeded, pruned.task_states

    after = _airflow_rows(service.dag_id)
    # June's run is gone (with every run before the cutoff), November's and later kept
    assert "2026-06-01" not in after["runs"] and "2026-11-20" in after["runs"]
    assert all(day >= "2026-09-02" for day in after["runs"]), after["runs"]
    assert [d for d in before["runs"] if d >= "2026-09-02"] == after["runs"]
    old_run = next(r for r in set(before["tasks"]) if "2026-06-01" in r)
    assert old_run not in after["tasks"] and old_run not in after["xcoms"]
    assert after["tasks"] and after["xcoms"]  # the recent run's, untouched
    assert history.query(counts, {}) == kept  # readiness history: not one row less
    assert dags[RETENTION_DAG_ID].get_task("prune_metadata")

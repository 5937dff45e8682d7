"""The scale-out path: the CeleryExecutor with two real ``airflow celery worker`` processes,
a Redis broker (127.0.0.1:6379) and a PostgreSQL result backend. A service DAG and the
quarterly DAG succeed, and both workers take tasks."""

from __future__ import annotations

import re
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from readiness.testing.postgres import Postgres, throwaway_postgres
from readiness_airflow.cluster import Cluster, local_cluster

ROOT = Path(__file__).resolve().parents[2]
SERVICE_DAG = "readiness__file-storage-service"
QUARTERLY_DAG = "readiness__quarterly_revalidation"
RECEIVED = re.compile(r"Task \S+\[[0-9a-f-]+\] received")


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=2) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@pytest.fixture(scope="module")
def celery_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    if not _redis_up():
        pytest.fail("Redis is not answering on 127.0.0.1:6379 (.ci/run starts it)")
    home = tmp_path_factory.mktemp("airflow-celery")
    queue = f"readiness-test-{uuid.uuid4().hex[:8]}"  # no other run's worker takes ours
    env = {
        "AIRFLOW__OPERATORS__DEFAULT_QUEUE": queue,
        "AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS": "readiness_airflow.celery_config.CELERY_CONFIG",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
        # Only the test's own runs. Unpausing the quarterly DAG made the scheduler create
        # its latest cron tick, which from October to December 2026 is the test's logical
        # date, 2026-10-01T06:00: a race the trigger lost with 409 Conflict.
        "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
    }
    postgres: Postgres
    with (
        throwaway_postgres() as postgres,
        local_cluster(
            postgres,
            home,
            ROOT,
            executor="CeleryExecutor",
            celery_workers=2,
            celery_queues=queue,
            extra_env=env,
        ) as cluster,
    ):
        yield cluster


@pytest.mark.slow
def test_a_service_dag_and_the_quarterly_dag_run_on_two_celery_workers(
    celery_cluster: Cluster,
) -> None:
    cluster = celery_cluster
    for dag_id in (SERVICE_DAG, QUARTERLY_DAG):
        cluster.wait(f"{dag_id} parsed", lambda d=dag_id: cluster.dag_parsed(d), 180)
        cluster.call("PATCH", f"/api/v2/dags/{dag_id}", {"is_paused": False})
    cluster.trigger(SERVICE_DAG, "celery-service", "2026-11-20T06:00:00Z")
    cluster.trigger(QUARTERLY_DAG, "celery-quarterly", "2026-10-01T06:00:00Z")
    ours = 0
    for dag_id, run_id in ((SERVICE_DAG, "celery-service"), (QUARTERLY_DAG, "celery-quarterly")):
        run = cluster.finished_run(dag_id, run_id, 600)
        states = {
            (ti["task_id"], ti["map_index"]): ti["state"]
            for ti in cluster.task_instances(dag_id, run_id)
        }
        ours += len(states)
        assert run["state"] == "success", f"{dag_id}: {states}\n{cluster.tail()}"
        assert set(states.values()) == {"success"}, states
    taken = {
        name: len(RECEIVED.findall((cluster.home / f"{name}.log").read_text(errors="replace")))
        for name in ("worker-1", "worker-2")
    }
    assert all(count > 0 for count in taken.values()), taken
    # every task instance went through a worker
    assert sum(taken.values()) >= ours, (taken, ours)

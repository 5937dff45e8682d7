"""The production path: real ``airflow api-server``, ``scheduler`` and ``dag-processor``
processes on PostgreSQL with the LocalExecutor, driven only through the REST API.

``dag.test()`` runs tasks in the test's own process, where they could touch the metadata DB;
here every task runs in a worker process that may only talk to the Task Execution API, as
in production. The metadata DB is a throwaway PostgreSQL cluster started by the test
(``readiness.testing.postgres``), so every component runs on one clock, the test's: the
suite passes under ``faketime`` too. The run evaluates the story's fixed first day; the
scheduler's own cron tick (the DAGs start unpaused on embedded defaults) is another run,
and every assertion finds this test's run by its id."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from readiness.history import open_history
from readiness.testing.postgres import Postgres, throwaway_postgres
from readiness_airflow.local import airflow_env

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DAG_ID = "readiness__file-storage-service"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _pg(pg: Postgres, sql: str) -> None:
    import psycopg2

    con = psycopg2.connect(
        dbname="postgres", connect_timeout=5, host=pg.host, port=pg.port, user=pg.user
    )
    con.autocommit = True
    try:
        with con.cursor() as cur:
            cur.execute(sql)
    finally:
        con.close()


@dataclass
class Cluster:
    base_url: str
    token: str
    home: Path
    history_url: str
    logs: list[Path]
    processes: list[subprocess.Popen[bytes]]

    def call(self, method: str, path: str, body: Any = None) -> Any:
        request = urllib.request.Request(
            f"{self.base_url}{path}",
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"null")

    def pause(self, seconds: float) -> None:
        """Wait between polls on the api-server process; a component that died fails the
        test at once, with the logs, instead of at the deadline."""
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.processes[0].wait(timeout=seconds)
        dead = [
            log.stem
            for log, p in zip(self.logs, self.processes, strict=True)
            if p.poll() is not None
        ]
        if dead:
            raise AssertionError(f"airflow {', '.join(dead)} exited\n{self.tail()}")

    def tail(self) -> str:
        """The end of every process's log, for a failure message."""
        out = []
        for log in self.logs:
            lines = log.read_text(errors="replace").splitlines() if log.exists() else []
            out.append(f"--- {log.name}\n" + "\n".join(lines[-40:]))
        return "\n".join(out)


def _wait(what: str, check: Any, timeout: float, cluster: Cluster) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = check()
            if last:
                return last
        except (urllib.error.URLError, ConnectionError, OSError) as exc:
            last = exc
        cluster.pause(2)
    logs = cluster.tail()
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}: {last!r}\n{logs}")


@pytest.fixture(scope="module")
def postgres() -> Iterator[Postgres]:
    with throwaway_postgres() as pg:
        yield pg


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, postgres: Postgres) -> Iterator[Cluster]:
    home = tmp_path_factory.mktemp("airflow-prod")
    database = f"readiness_airflow_{uuid.uuid4().hex[:10]}"
    _pg(postgres, f"CREATE DATABASE {database}")
    port = _free_port()
    password = secrets.token_urlsafe(16)
    (home / "passwords.json").write_text(json.dumps({"admin": password}))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "READINESS"))}
    env.update(airflow_env(ROOT, home))
    env.update(
        {
            "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": postgres.url(database),
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(port),
            "AIRFLOW__API__WORKERS": "1",
            "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(32),
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
            "READINESS_EVIDENCE_ROOT": "samples/evidence",  # the story, on fixed dates
            "READINESS_HISTORY": f"duckdb://{home}/history.duckdb",
            "READINESS_OUTBOX": str(home / "outbox"),
            "READINESS_REPORTS": str(home / "reports"),
        }
    )
    migrate = subprocess.run(
        [str(BIN / "airflow"), "db", "migrate"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert migrate.returncode == 0, migrate.stdout[-3000:] + migrate.stderr[-3000:]
    processes: list[subprocess.Popen[bytes]] = []
    logs: list[Path] = []
    for component in (["api-server", "--port", str(port)], ["scheduler"], ["dag-processor"]):
        log = home / f"{component[0]}.log"
        logs.append(log)
        with log.open("wb") as sink:
            processes.append(
                subprocess.Popen(
                    [str(BIN / "airflow"), *component],
                    env=env,
                    stdout=sink,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # its own process group: stopped as a whole
                )
            )
    base = f"http://127.0.0.1:{port}"
    cluster = Cluster(base, "", home, env["READINESS_HISTORY"], logs, processes)
    try:

        def token() -> str | None:
            request = urllib.request.Request(
                f"{base}/auth/token",
                method="POST",
                data=json.dumps({"username": "admin", "password": password}).encode(),
                headers={"Content-Type": "application/json"},
            )
            with urllib.request.urlopen(request, timeout=10) as response:
                return str(json.loads(response.read())["access_token"])

        cluster.token = _wait("the api-server to issue a token", token, 120, cluster)
        yield cluster
    finally:
        try:
            _stop(processes)
        finally:
            _pg(postgres, f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM each component's process group, then SIGKILL what is left after 30 s."""
    for process in processes:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@pytest.mark.slow
def test_a_triggered_run_succeeds_through_scheduler_workers_and_rest_api(
    cluster: Cluster,
) -> None:
    def parsed() -> bool:
        try:
            return bool(cluster.call("GET", f"/api/v2/dags/{DAG_ID}"))
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return False
            raise

    _wait("the dag-processor to parse the readiness DAGs", parsed, 180, cluster)
    errors = cluster.call("GET", "/api/v2/importErrors")
    assert errors["total_entries"] == 0, errors
    dags = cluster.call("GET", "/api/v2/dags?tags=readiness")
    assert {d["dag_id"] for d in dags["dags"]} >= {
        DAG_ID,
        "readiness__maintenance-service",
        "readiness__quarterly_revalidation",
    }

    cluster.call("PATCH", f"/api/v2/dags/{DAG_ID}", {"is_paused": False})
    run_id = "prod-path-2026-11-20"
    cluster.call(
        "POST",
        f"/api/v2/dags/{DAG_ID}/dagRuns",
        {"dag_run_id": run_id, "logical_date": "2026-11-20T06:00:00Z"},
    )

    def finished() -> dict[str, Any] | None:
        run = cluster.call("GET", f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}")
        return run if run["state"] in ("success", "failed") else None

    run = _wait("the DAG run to finish", finished, 420, cluster)
    tis = cluster.call("GET", f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances?limit=100")
    states = {
        (ti["task_id"], ti["map_index"]): (ti["state"], ti.get("rendered_map_index"))
        for ti in tis["task_instances"]
    }
    assert run["state"] == "success", f"{states}\n{cluster.tail()}"
    assert {state for state, _ in states.values()} == {"success"}
    collects = {k: v for k, v in states.items() if k[0] == "collect"}
    assert len(collects) == 15
    # the grid names each mapped collection task by its section and what it found
    labels = sorted(label for _, label in collects.values())
    assert "api: 8 collected" in labels, labels
    assert {k[0] for k in states} == {"collect", "score", "record", "sync_issues"}

    # the scheduler's listener wrote the outcome into the run note
    assert run["note"] == "file-storage-service: L2 (target L3, previous none); regressions: none"

    # the history update is an Asset event carrying the outcome (this run's event: the
    # scheduler's cron tick emits one of its own)
    events = cluster.call("GET", "/api/v2/assets/events?limit=50")["asset_events"]
    ours = [
        e
        for e in events
        if e["uri"] == "readiness://history/file-storage-service" and e["source_run_id"] == run_id
    ]
    assert len(ours) == 1, events
    assert ours[0]["extra"]["achieved_level"] == "L2"

    # and the worker wrote history keyed on the Airflow run. The DAGs start unpaused on
    # embedded defaults, so the scheduler also runs each DAG's latest cron tick: those
    # runs are recorded as "scheduled" (the quarterly DAG's as "quarterly").
    history = open_history(cluster.history_url, str(ROOT))
    rows = history.query(
        "SELECT run_id, trigger, dag_id, dag_run_id FROM readiness.evaluations", {}
    )
    ours = [r for r in rows if r["dag_run_id"] == run_id]
    assert ours == [
        {
            "run_id": f"file-storage-service@{run_id}",
            "trigger": "manual",
            "dag_id": DAG_ID,
            "dag_run_id": run_id,
        }
    ]
    for other in (r for r in rows if r["dag_run_id"] != run_id):
        assert other["dag_run_id"].startswith("scheduled__"), other
        quarterly = other["dag_id"] == "readiness__quarterly_revalidation"
        assert other["trigger"] == ("quarterly" if quarterly else "scheduled"), other

"""A real Airflow deployment on one machine, for the production-path test, its benchmark and
the Celery test: ``api-server``, ``scheduler`` and ``dag-processor`` processes (and, on the
CeleryExecutor, ``celery worker`` processes) on a PostgreSQL metadata DB, driven only
through the REST API.

Every component runs in its own process group, so it is stopped as a whole, and its CPU
(children included) can be read from ``/proc`` while it runs (``cpu_seconds``)."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from readiness.testing.emulators import free_port
from readiness.testing.postgres import Postgres
from readiness_airflow.local import airflow_env

BIN = Path(sys.executable).parent
_TICKS = os.sysconf("SC_CLK_TCK")


def run_sql(pg: Postgres, sql: str) -> None:
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


def stop_process_groups(processes: list[subprocess.Popen[bytes]], grace_s: float = 30) -> None:
    """SIGTERM each process's group, then SIGKILL what is left after ``grace_s``."""
    for process in processes:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        tree.setdefault(int(fields[1]), []).append(int(entry))
    return tree


def cpu_seconds(root: int) -> float:
    """CPU of a process and all its descendants: user + system of each live process, plus
    what each has reaped (``cutime``/``cstime``, which include the reaped one's own
    reaped descendants). Tasks are forked and reaped by the executor's workers, so every
    finished task is counted exactly once."""
    tree = _children()
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(v) for v in fields[11:15])  # utime stime cutime cstime
        stack.extend(tree.get(pid, []))
    return total / _TICKS


@dataclass
class Cluster:
    base_url: str
    token: str
    home: Path
    env: dict[str, str]
    history_url: str
    components: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    #: Each user's password (``admin`` and any ``users`` the cluster was started with).
    passwords: dict[str, str] = field(default_factory=dict)

    @property
    def logs(self) -> list[Path]:
        return [self.home / f"{name}.log" for name in self.components]

    def token_for(self, user: str) -> str:
        """A token for ``user``, signed in with their password as any API client would."""
        request = urllib.request.Request(
            f"{self.base_url}/auth/token",
            method="POST",
            data=json.dumps({"username": user, "password": self.passwords[user]}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return str(json.loads(response.read())["access_token"])

    def call(self, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
        """A REST call as ``admin``, or as whoever ``token`` belongs to."""
        request = urllib.request.Request(
            f"{self.base_url}{path}",
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={
                "Authorization": f"Bearer {token or self.token}",
                "Content-Type": "application/json",
            },
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"null")

    def cpu(self) -> dict[str, float]:
        """CPU-seconds so far, per component, children included."""
        return {name: cpu_seconds(p.pid) for name, p in self.components.items()}

    def pause(self, seconds: float) -> None:
        """Wait between polls; a component that died fails at once, with the logs."""
        first = next(iter(self.components.values()))
        with contextlib.suppress(subprocess.TimeoutExpired):
            first.wait(timeout=seconds)
        dead = [name for name, p in self.components.items() if p.poll() is not None]
        if dead:
            raise AssertionError(f"airflow {', '.join(dead)} exited\n{self.tail()}")

    def wait(self, what: str, check: Callable[[], Any], timeout: float, poll: float = 2) -> Any:
        deadline = time.monotonic() + timeout
        last: Any = None
        while time.monotonic() < deadline:
            try:
                last = check()
                if last:
                    return last
            except (urllib.error.URLError, ConnectionError, OSError) as exc:
                last = exc
            self.pause(poll)
        raise AssertionError(
            f"timed out after {timeout:.0f}s waiting for {what}: {last!r}\n{self.tail()}"
        )

    def tail(self, lines: int = 40) -> str:
        """The end of every component's log, for a failure message."""
        out = []
        for log in self.logs:
            text = log.read_text(errors="replace").splitlines() if log.exists() else []
            out.append(f"--- {log.name}\n" + "\n".join(text[-lines:]))
        return "\n".join(out)

    def dag_parsed(self, dag_id: str) -> bool:
        try:
            return bool(self.call("GET", f"/api/v2/dags/{dag_id}"))
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return False
            raise

    def trigger(self, dag_id: str, run_id: str, logical_date: str) -> None:
        self.call(
            "POST",
            f"/api/v2/dags/{dag_id}/dagRuns",
            {"dag_run_id": run_id, "logical_date": logical_date},
        )

    def finished_run(self, dag_id: str, run_id: str, timeout: float = 600) -> dict[str, Any]:
        def done() -> dict[str, Any] | None:
            run = self.call("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}")
            return run if run["state"] in ("success", "failed") else None

        result: dict[str, Any] = self.wait(f"run {run_id} to finish", done, timeout, poll=1)
        return result

    def task_instances(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        path = f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances?limit=200"
        return list(self.call("GET", path)["task_instances"])


@contextmanager
def local_cluster(
    postgres: Postgres,
    home: Path,
    project_root: Path,
    *,
    executor: str = "LocalExecutor",
    celery_workers: int = 0,
    broker_url: str = "redis://127.0.0.1:6379/0",
    celery_queues: str | None = None,
    extra_env: Mapping[str, str] | None = None,
    users: Mapping[str, str] | None = None,
    triggerer: bool = False,
) -> Iterator[Cluster]:
    """Migrate a fresh metadata database, start the components, yield once the api-server
    issues a token; stop everything and drop the database on exit. ``users`` (name → role
    of the simple auth manager) sign in besides ``admin``, each with a password of its own.
    ``triggerer`` adds the process that runs deferred work and Deadline Alert callbacks."""
    database = f"readiness_airflow_{uuid.uuid4().hex[:10]}"
    run_sql(postgres, f"CREATE DATABASE {database}")
    port = free_port()
    password = secrets.token_urlsafe(16)
    passwords = {"admin": password, **{u: secrets.token_urlsafe(16) for u in users or {}}}
    home.mkdir(parents=True, exist_ok=True)
    (home / "passwords.json").write_text(json.dumps(passwords))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "READINESS"))}
    env.update(airflow_env(project_root, home))
    env.update(
        {
            "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": postgres.url(database),
            "AIRFLOW__CORE__EXECUTOR": executor,
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(port),
            "AIRFLOW__API__WORKERS": "1",
            "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(32),
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
            "READINESS_EVIDENCE_ROOT": "samples/evidence",  # the story, on fixed dates
            "READINESS_EXEMPTIONS_ROOT": "samples/exemptions",
            "READINESS_HISTORY": f"duckdb://{home}/history.duckdb",
            "READINESS_OUTBOX": str(home / "outbox"),
            "READINESS_REPORTS": str(home / "reports"),
        }
    )
    if executor == "CeleryExecutor":
        env.update(
            {
                "AIRFLOW__CELERY__BROKER_URL": broker_url,
                # psycopg2 is what is installed; plain postgresql:// would want psycopg 3
                "AIRFLOW__CELERY__RESULT_BACKEND": "db+" + postgres.url(database),
                "AIRFLOW__CELERY__WORKER_CONCURRENCY": "1",
            }
        )
    if users:
        env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"] = ",".join(
            ["admin:admin", *(f"{u}:{role}" for u, role in users.items())]
        )
    env.update(extra_env or {})
    processes: dict[str, subprocess.Popen[bytes]] = {}
    try:
        migrate = subprocess.run(
            [str(BIN / "airflow"), "db", "migrate"],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if migrate.returncode != 0:
            raise RuntimeError(migrate.stdout[-3000:] + migrate.stderr[-3000:])
        components: list[tuple[str, list[str]]] = [
            ("api-server", ["api-server", "--port", str(port)]),
            ("scheduler", ["scheduler"]),
            ("dag-processor", ["dag-processor"]),
            *([("triggerer", ["triggerer"])] if triggerer else []),
        ]
        queues = ["--queues", celery_queues] if celery_queues else []
        components += [
            (f"worker-{i}", ["celery", "worker", "--celery-hostname", f"worker{i}@%h", *queues])
            for i in range(1, celery_workers + 1)
        ]
        for name, command in components:
            with (home / f"{name}.log").open("wb") as sink:
                processes[name] = subprocess.Popen(
                    [str(BIN / "airflow"), *command],
                    env=env,
                    stdout=sink,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # its own process group: stopped as a whole
                )
        base = f"http://127.0.0.1:{port}"
        cluster = Cluster(
            base, "", home, env, env["READINESS_HISTORY"], processes, passwords=passwords
        )

        cluster.token = cluster.wait(
            "the api-server to issue a token", lambda: cluster.token_for("admin"), 120
        )
        yield cluster
    finally:
        try:
            stop_process_groups(list(processes.values()))
        finally:
            run_sql(postgres, f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")

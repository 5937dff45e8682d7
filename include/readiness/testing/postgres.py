"""A throwaway PostgreSQL cluster for the tests that run Airflow's real components.

The cluster is a child process of the test, so it runs on the test's clock: under
``faketime`` the database's ``now()`` moves with the scheduler's. Airflow's scheduler picks
runs with ``run_after <= now()`` in SQL, so a metadata DB on the machine's own (unmoved)
clock would never start a run triggered at a moved time. It also frees the tests from
whatever state the machine's PostgreSQL service is in.

``initdb`` and ``postgres`` refuse to run as root, so as root they run as the ``postgres``
user. ``pg_ctl``'s own wait loop hangs under faketime, so the server is started directly and
readiness is polled with ``pg_isready`` against a deadline."""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from readiness.testing.emulators import free_port

START_DEADLINE_S = 60.0


@dataclass(frozen=True)
class Postgres:
    host: str
    port: int
    user: str

    def url(self, database: str, driver: str = "postgresql+psycopg2") -> str:
        return f"{driver}://{self.user}@{self.host}:{self.port}/{database}"


def _bindir() -> Path:
    """The server binaries: ``pg_config --bindir`` where it is installed, else Debian's
    versioned folder."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise RuntimeError("PostgreSQL server binaries (initdb, postgres) are not installed")


def _run_as() -> tuple[int, int] | None:
    """(uid, gid) of the ``postgres`` user when running as root, else None (run as we are)."""
    if os.geteuid() != 0:
        return None
    entry = pwd.getpwnam("postgres")
    return entry.pw_uid, entry.pw_gid


def _drop(ids: tuple[int, int] | None) -> dict[str, Any]:
    """Popen arguments that run the child as ``ids``."""
    return {} if ids is None else {"user": ids[0], "group": ids[1], "extra_groups": []}


@contextmanager
def throwaway_postgres() -> Iterator[Postgres]:
    """A fresh cluster on a free loopback port (trust auth, superuser ``postgres``),
    stopped and removed on exit."""
    bindir = _bindir()
    ids = _run_as()
    drop = _drop(ids)
    base = Path(tempfile.mkdtemp(prefix="readiness-pg-"))
    data, sockets = base / "data", base / "sockets"
    sockets.mkdir()
    if ids is not None:
        for folder in (base, sockets):
            os.chown(folder, *ids)
    port = free_port()
    init = subprocess.run(
        [str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8"],
        capture_output=True,
        text=True,
        timeout=120,
        **drop,
    )
    if init.returncode != 0:
        shutil.rmtree(base, ignore_errors=True)
        raise RuntimeError(f"initdb failed: {init.stdout[-2000:]}{init.stderr[-2000:]}")
    log = (base / "postgres.log").open("wb")
    server = subprocess.Popen(
        [
            str(bindir / "postgres"),
            "-D",
            str(data),
            "-p",
            str(port),
            "-k",
            str(sockets),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "fsync=off",
            "-c",
            "max_connections=200",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        **drop,
    )
    try:
        deadline = time.monotonic() + START_DEADLINE_S
        while True:
            ready = subprocess.run(
                [str(bindir / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(port)],
                timeout=10,
            )
            if ready.returncode == 0:
                break
            if server.poll() is not None or time.monotonic() > deadline:
                text = (base / "postgres.log").read_text(errors="replace")[-3000:]
                raise RuntimeError(f"PostgreSQL did not start on port {port}:\n{text}")
            with contextlib.suppress(subprocess.TimeoutExpired):
                server.wait(timeout=0.2)
        yield Postgres(host="127.0.0.1", port=port, user="postgres")
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGINT)  # fast shutdown
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)
        log.close()
        shutil.rmtree(base, ignore_errors=True)

"""Pytest plugin (``-p readiness.testing.emulators``): the BigQuery emulator, started once
per test session on free loopback ports and stopped at the end, and the Cloud Storage
emulator.

``bqemulator`` runs GoogleSQL on DuckDB and would download DuckDB extensions at run time,
which cannot work here; they are installed from their PyPI packages first. If the emulator
does not start, the tests that need it fail loudly; they never skip.

Both emulators keep their ports across ``stop()`` and ``start()``, so the chaos suite can
take one away in the middle of a run and bring it back where the clients expect it; with
``persistent=True`` (BigQuery) or on disk (Cloud Storage) what was written survives."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

EXTENSIONS = ("icu", "spatial", "avro", "ducklake")
PROJECT = "readiness-test"
START_DEADLINE_S = 90.0


class CountingClient:
    """Wraps a BigQuery client: counts the jobs sent through it, by kind (``dml``,
    ``query``, ``load``), to hold a write path to how many statements it costs."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.jobs: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    def query(self, sql: str, *args: Any, **kwargs: Any) -> Any:
        head = sql.lstrip().split(None, 1)[0].upper()
        self.jobs["dml" if head in ("MERGE", "INSERT", "DELETE", "UPDATE") else "query"] += 1
        return self.client.query(sql, *args, **kwargs)

    def load_table_from_file(self, *args: Any, **kwargs: Any) -> Any:
        self.jobs["load"] += 1
        return self.client.load_table_from_file(*args, **kwargs)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def install_duckdb_extensions() -> None:
    import duckdb_extensions

    for name in EXTENSIONS:
        duckdb_extensions.import_extension(name)


class BigQueryEmulator:
    """``bqemulator`` on two free loopback ports (REST and gRPC), in its own process group.
    ``persistent`` keeps its tables in a DuckDB file, so they outlive a ``stop()``."""

    def __init__(self, persistent: bool = False) -> None:
        self.rest, self.grpc = free_port(), free_port()
        self.persistent = persistent
        self.workdir = Path(tempfile.mkdtemp(prefix="bqemulator-"))
        self.log = self.workdir / "bqemulator.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.rest}"

    def start(self) -> str:
        """Start it and wait until it answers; its REST endpoint. Raises RuntimeError (with
        the emulator's log) if it does not start."""
        install_duckdb_extensions()
        binary = Path(sys.executable).parent / "bqemulator"
        storage = ["--persistent", "--data-dir", str(self.workdir)] if self.persistent else []
        with self.log.open("ab") as sink:
            process = subprocess.Popen(
                [
                    str(binary),
                    "start",
                    "--rest-port",
                    str(self.rest),
                    "--grpc-port",
                    str(self.grpc),
                    "--project",
                    PROJECT,
                    "--log-level",
                    "warning",
                    *storage,
                ],
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.process = process
        deadline = time.monotonic() + START_DEADLINE_S
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the BigQuery emulator exited:\n{self.log_tail()}")
            try:
                url = f"{self.endpoint}/bigquery/v2/projects/{PROJECT}/datasets"
                with urllib.request.urlopen(url, timeout=2):
                    return self.endpoint
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"the BigQuery emulator did not start:\n{self.log_tail()}"
                    ) from None
                # between polls, wait on the process: a crash ends the wait at once
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(timeout=0.3)

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)


@contextmanager
def running_bigquery_emulator(persistent: bool = False) -> Iterator[str]:
    """Start ``bqemulator`` on free loopback ports; yields its REST endpoint; stops it.
    Raises RuntimeError (with the emulator's log) if it does not start."""
    emulator = BigQueryEmulator(persistent)
    try:
        yield emulator.start()
    finally:
        emulator.close()


class StorageEmulator:
    """``gcp-storage-emulator`` in this process, on a free loopback port: in memory, or in
    a folder (``on_disk``) so its buckets outlive a ``stop()``."""

    def __init__(self, on_disk: bool = False) -> None:
        self.port = free_port()
        self.data_dir = Path(tempfile.mkdtemp(prefix="gcs-emulator-")) if on_disk else None
        self._server: Any = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> str:
        from gcp_storage_emulator.server import create_server

        if self.data_dir is None:
            self._server = create_server("127.0.0.1", self.port, in_memory=True)
        else:
            self._server = create_server(
                "127.0.0.1", self.port, in_memory=False, data_dir=str(self.data_dir)
            )
        self._server.start()
        return self.url

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.stop()

    def close(self) -> None:
        self.stop()
        if self.data_dir is not None:
            shutil.rmtree(self.data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def bigquery_emulator() -> Iterator[str]:
    """The emulator's REST endpoint (``http://127.0.0.1:<port>``); fails, never skips."""
    try:
        with running_bigquery_emulator() as endpoint:
            yield endpoint
    except RuntimeError as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="session")
def gcs_emulator() -> Iterator[str]:
    """``gcp-storage-emulator`` in this process, on a free loopback port; its URL."""
    emulator = StorageEmulator()
    try:
        yield emulator.start()
    finally:
        emulator.close()


@pytest.fixture
def gcs_client(gcs_emulator: str, monkeypatch: pytest.MonkeyPatch) -> object:
    """The official storage client pointed at the emulator (``STORAGE_EMULATOR_HOST``)."""
    from readiness.evidence.gcs import storage_client

    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs_emulator)
    return storage_client("readiness-test")

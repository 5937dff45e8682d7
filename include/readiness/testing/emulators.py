"""Pytest plugin (``-p readiness.testing.emulators``): the BigQuery emulator, started once
per test session on free loopback ports and stopped at the end.

``bqemulator`` runs GoogleSQL on DuckDB and would download DuckDB extensions at run time,
which cannot work here; they are installed from their PyPI packages first. If the emulator
does not start, the tests that need it fail loudly; they never skip."""

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
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

EXTENSIONS = ("icu", "spatial", "avro", "ducklake")
PROJECT = "readiness-test"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def install_duckdb_extensions() -> None:
    import duckdb_extensions

    for name in EXTENSIONS:
        duckdb_extensions.import_extension(name)


@contextmanager
def running_bigquery_emulator() -> Iterator[str]:
    """Start ``bqemulator`` on free loopback ports; yields its REST endpoint; stops it.
    Raises RuntimeError (with the emulator's log) if it does not start."""
    install_duckdb_extensions()
    binary = Path(sys.executable).parent / "bqemulator"
    rest, grpc = free_port(), free_port()
    workdir = Path(tempfile.mkdtemp(prefix="bqemulator-"))
    log = workdir / "bqemulator.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [
                str(binary),
                "start",
                "--rest-port",
                str(rest),
                "--grpc-port",
                str(grpc),
                "--project",
                PROJECT,
                "--log-level",
                "warning",
            ],
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    endpoint = f"http://127.0.0.1:{rest}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the BigQuery emulator exited:\n{log.read_text()[-3000:]}")
            try:
                url = f"{endpoint}/bigquery/v2/projects/{PROJECT}/datasets"
                with urllib.request.urlopen(url, timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"the BigQuery emulator did not start:\n{log.read_text()[-3000:]}"
                    ) from None
                # between polls, wait on the process: a crash ends the wait at once
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(timeout=0.3)
        yield endpoint
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        shutil.rmtree(workdir, ignore_errors=True)


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
    from gcp_storage_emulator.server import create_server

    port = free_port()
    server = create_server("127.0.0.1", port, in_memory=True)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def gcs_client(gcs_emulator: str, monkeypatch: pytest.MonkeyPatch) -> object:
    """The official storage client pointed at the emulator (``STORAGE_EMULATOR_HOST``)."""
    from readiness.evidence.gcs import storage_client

    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs_emulator)
    return storage_client("readiness-test")

"""What a collect task logs when its source is down: one line per cause naming every item
it hit, so an SRE reading the task log sees the outage, not a hundred copies of it.

The collect runs in a child process: the storage client leaves a daemon thread retrying
the dead bucket in the background, which must not outlive the test inside pytest (under
faketime it starved a later in-process ``dag.test()`` of the GIL)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from readiness.testing.emulators import free_port

ROOT = Path(__file__).resolve().parents[2]
COLLECT = """
from datetime import UTC, datetime
from types import SimpleNamespace

from readiness_airflow import runtime

moment = datetime(2026, 11, 20, 6, tzinfo=UTC)
context = {"dag_run": SimpleNamespace(run_after=moment), "logical_date": moment}
collected = runtime.collect_source("file-storage-service", "store", context, final_try=True)
print("UNREACHABLE", *sorted(k for k, v in collected.items() if v.get("transient")))
"""


def test_an_unreachable_source_is_one_warning_naming_its_items(
    readiness_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("READINESS_EVIDENCE_ROOT", "gs://evidence-bucket/evidence")
    monkeypatch.setenv("READINESS_LIVE_SOURCES", "false")
    monkeypatch.setenv("READINESS_SOURCE_DEADLINE_S", "1")
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", f"http://127.0.0.1:{free_port()}")
    path = os.pathsep.join([str(ROOT / "include"), str(ROOT / "plugins")])
    done = subprocess.run(
        [sys.executable, "-c", COLLECT],
        env={**os.environ, "PYTHONPATH": path},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lines = (done.stdout + done.stderr).splitlines()
    (reported,) = [line for line in lines if line.startswith("UNREACHABLE ")]
    unreachable = reported.split()[1:]
    assert len(unreachable) > 50  # every item the store holds
    # Airflow routes logging through structlog: "<time> [warning  ] <message> [<logger>]".
    # Only the task's own lines: from 2028 Google's client also warns that Python 3.11 is
    # past its support window.
    warnings = [line for line in lines if "[warning" in line and "[readiness_airflow." in line]
    assert len(warnings) == 1, warnings[:3]
    (line,) = warnings
    assert "] file-storage-service store A1, A2, " in line
    assert all(item in line for item in unreachable)
    assert "gs://evidence-bucket/evidence" in line

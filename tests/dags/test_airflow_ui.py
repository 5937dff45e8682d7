"""``make airflow-ui`` on a port other than 8080: the UI comes up there, and so does the
task execution API the tasks report to, so both services' scheduled runs succeed with
their notes. (With ``AIRFLOW__API__PORT=18080`` the UI came up but every task reported to
Airflow's default, ``localhost:8080``, and every run failed with no note.)"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from readiness.testing.emulators import free_port

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("file-storage-service", "maintenance-service")


def _call(base: str, path: str, token: str) -> Any:
    request = urllib.request.Request(f"{base}{path}", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def _token(base: str, password: str) -> str:
    request = urllib.request.Request(
        f"{base}/auth/token",
        method="POST",
        data=json.dumps({"username": "admin", "password": password}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return str(json.loads(response.read())["access_token"])


@pytest.mark.slow
def test_make_airflow_ui_on_another_port_runs_both_services(tmp_path: Path) -> None:
    port = free_port()
    home = tmp_path / "airflow"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "READINESS"))}
    env.update(
        {
            "AIRFLOW__API__PORT": str(port),
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "passwords.json"),
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
            "READINESS_HISTORY": f"duckdb://{tmp_path}/history.duckdb",
            "READINESS_OUTBOX": str(tmp_path / "outbox"),
            "READINESS_REPORTS": str(tmp_path / "reports"),
        }
    )
    log = (tmp_path / "ui.log").open("wb")
    ui = subprocess.Popen(
        [sys.executable, str(ROOT / "scripts" / "airflow_ui.py")],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://localhost:{port}"
    try:
        deadline = time.monotonic() + 420
        token, runs = "", {}
        while time.monotonic() < deadline:
            assert ui.poll() is None, (tmp_path / "ui.log").read_text()[-4000:]
            with contextlib.suppress(subprocess.TimeoutExpired):
                ui.wait(timeout=3)  # wakes at once if the UI exits
            with contextlib.suppress(OSError, urllib.error.URLError, KeyError, ValueError):
                if not token:
                    passwords = json.loads((home / "passwords.json").read_text())
                    token = _token(base, passwords["admin"])
                runs = {
                    s: _call(base, f"/api/v2/dags/readiness__{s}/dagRuns", token)["dag_runs"]
                    for s in SERVICES
                }
                if all(
                    any(r["state"] in ("success", "failed") for r in rs) for rs in runs.values()
                ):
                    break
        else:
            pytest.fail(
                f"no finished runs on port {port}: {runs}\n"
                + (tmp_path / "ui.log").read_text()[-4000:]
            )
        for service, service_runs in runs.items():
            scheduled = [r for r in service_runs if r["run_type"] == "scheduled"]
            assert scheduled, service_runs
            assert all(r["state"] == "success" for r in scheduled), (service, scheduled)
            assert all(r["note"] and service in r["note"] for r in scheduled), scheduled
        assert f"Airflow UI at {base}" in (tmp_path / "ui.log").read_text()
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(ui.pid, signal.SIGTERM)
        try:
            ui.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(ui.pid, signal.SIGKILL)
            ui.wait()
        with contextlib.suppress(ProcessLookupError):  # standalone's components, if left
            os.killpg(ui.pid, signal.SIGKILL)
        log.close()

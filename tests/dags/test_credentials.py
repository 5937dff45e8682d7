"""Collectors' credentials inside Airflow: the connection first, then the environment."""

from __future__ import annotations

import json

import pytest


def test_a_collector_credential_comes_from_its_airflow_connection_then_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from readiness_airflow.hooks import connection_credentials

    monkeypatch.delenv("AIRFLOW_CONN_READINESS_PAGERDUTY", raising=False)
    monkeypatch.delenv("READINESS_CREDENTIAL_PAGERDUTY", raising=False)
    assert connection_credentials("pagerduty") is None

    monkeypatch.setenv("READINESS_CREDENTIAL_PAGERDUTY", "from-env")
    assert connection_credentials("pagerduty") == "from-env"

    monkeypatch.setenv(
        "AIRFLOW_CONN_READINESS_PAGERDUTY",
        json.dumps({"conn_type": "http", "password": "from-connection"}),
    )
    assert connection_credentials("pagerduty") == "from-connection"


def test_a_secrets_backend_outage_is_reported_as_such_not_as_a_missing_key() -> None:
    """Run apart: Airflow reads its secrets backends once per process."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "from readiness_airflow.hooks import LinearHook, ConnectionUnreadable\n"
        "try:\n"
        "    LinearHook().get_api_key()\n"
        "except ConnectionUnreadable as exc:\n"
        "    print('UNREADABLE', exc)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "LINEAR_API_KEY"}
    env["AIRFLOW__SECRETS__BACKEND"] = "failing_secrets.DownSecretsBackend"
    here = Path(__file__).resolve().parent
    env["PYTHONPATH"] = os.pathsep.join(
        [str(here), str(here.parents[1] / "plugins"), env.get("PYTHONPATH", "")]
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert "UNREADABLE could not read Airflow connection 'linear_default'" in out.stdout, (
        out.stdout[-2000:] + out.stderr[-3000:]
    )
    assert "503 Service Unavailable" in out.stdout and "no Linear API key" not in out.stdout

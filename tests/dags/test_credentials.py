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


def test_a_new_tracker_takes_its_credentials_from_a_connection_with_no_hook_of_its_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A tracker's registry entry declares its connection; the one ``TrackerHook`` turns
    the connection into the factory's options (password, host, login, extras)."""
    from readiness.trackers import TRACKERS, TrackerConnection, TrackerKind
    from readiness_airflow.hooks import TrackerCredentialsMissing, TrackerHook

    monkeypatch.setitem(
        TRACKERS,
        "jira",
        TrackerKind("jira", "x:y", TrackerConnection("jira_default", "token", "JIRA_TOKEN")),
    )
    monkeypatch.delenv("AIRFLOW_CONN_JIRA_DEFAULT", raising=False)
    monkeypatch.delenv("JIRA_TOKEN", raising=False)
    with pytest.raises(TrackerCredentialsMissing, match="'jira_default' or the JIRA_TOKEN"):
        TrackerHook("jira").tracker_options()

    monkeypatch.setenv("JIRA_TOKEN", "from-env")
    assert TrackerHook("jira").tracker_options() == {"token": "from-env"}

    monkeypatch.setenv(
        "AIRFLOW_CONN_JIRA_DEFAULT",
        json.dumps(
            {
                "conn_type": "http",
                "host": "jira.example.com",
                "login": "bot@example.com",
                "password": "from-connection",
                "extra": {"project": "OPS"},
            }
        ),
    )
    hook = TrackerHook("jira")
    assert "from-connection" not in repr(hook)
    assert hook.tracker_options() == {
        "token": "from-connection",
        "endpoint": "https://jira.example.com",
        "login": "bot@example.com",
        "project": "OPS",
    }

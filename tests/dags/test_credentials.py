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

"""A secrets backend that is down, for tests/dags/test_credentials.py."""

from __future__ import annotations

from typing import Any

from airflow.secrets import BaseSecretsBackend


class DownSecretsBackend(BaseSecretsBackend):
    def get_connection(self, conn_id: str) -> Any:
        raise ConnectionError("secret manager: 503 Service Unavailable")

    def get_variable(self, key: str) -> str | None:
        raise ConnectionError("secret manager: 503 Service Unavailable")

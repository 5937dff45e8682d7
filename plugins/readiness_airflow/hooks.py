"""Hooks: the Airflow side of credentials, for the issue tracker and for collectors.

``LinearHook`` owns the connection id (``linear_default``), reads the personal API key from
the connection's password (a secrets backend in production) and falls back to
``LINEAR_API_KEY``. The key is handed to the library's tracker and never logged: Airflow
masks connection passwords in task logs, and the hook's ``repr`` does not show it."""

from __future__ import annotations

import os
from typing import Any

from airflow.sdk import BaseHook


class LinearCredentialsMissing(RuntimeError):
    """Neither the connection nor the environment holds a Linear API key."""


class LinearHook(BaseHook):
    conn_name_attr = "linear_conn_id"
    default_conn_name = "linear_default"
    conn_type = "linear"
    hook_name = "Linear"

    def __init__(self, linear_conn_id: str = default_conn_name, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.linear_conn_id = linear_conn_id
        self._key: str | None = None
        self._endpoint: str | None = None

    def __repr__(self) -> str:
        return f"LinearHook(linear_conn_id={self.linear_conn_id!r})"

    def _resolve(self) -> None:
        if self._key is not None:
            return
        key = endpoint = None
        try:
            conn = self.get_connection(self.linear_conn_id)
        except Exception:  # not defined: the environment may still hold the key
            conn = None
        if conn is not None:
            key = conn.password or None
            if conn.host:
                scheme = conn.schema or "https"
                endpoint = conn.host if "://" in conn.host else f"{scheme}://{conn.host}"
        key = key or os.environ.get("LINEAR_API_KEY") or None
        if not key:
            raise LinearCredentialsMissing(
                f"no Linear API key: set the password of Airflow connection "
                f"{self.linear_conn_id!r} or the LINEAR_API_KEY environment variable"
            )
        self._key = key
        self._endpoint = endpoint

    def tracker_options(self) -> dict[str, Any]:
        """What ``readiness.trackers.open_tracker`` passes to the Linear tracker."""
        return {"api_key": self.get_api_key(), "endpoint": self.endpoint}

    def get_api_key(self) -> str:
        """The personal API key (sent as ``Authorization: <key>``, without Bearer)."""
        self._resolve()
        assert self._key is not None
        return self._key

    @property
    def endpoint(self) -> str | None:
        """The connection's host, if it names one; otherwise the tracker's own default
        (``LINEAR_ENDPOINT``, the ``linear_endpoint`` setting, Linear's public API)."""
        self._resolve()
        return self._endpoint


def connection_credentials(name: str) -> str | None:
    """The collectors' credential source inside Airflow: the password of connection
    ``readiness_<name>`` (so a secrets backend serves it), else the environment
    (``READINESS_CREDENTIAL_<NAME>``). Airflow masks connection passwords in task logs."""
    from readiness.collectors import connection_id_for, environment_credentials

    try:
        conn = BaseHook.get_connection(connection_id_for(name))
    except Exception:  # not defined: the environment may still hold it
        conn = None
    return (conn.password if conn is not None else None) or environment_credentials(name)

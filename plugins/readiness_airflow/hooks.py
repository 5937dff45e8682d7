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


class ConnectionUnreadable(RuntimeError):
    """The connection could not be read (a secrets backend down, a denied read): not the
    same as a key nobody set, and never reported as one."""


def _connection(conn_id: str) -> Any:
    """The connection, or None when it is simply not defined. Any other failure says what
    failed, naming the connection, instead of passing for "no key"."""
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        return BaseHook.get_connection(conn_id)
    except AirflowNotFoundException:
        # Airflow reports a backend that failed as "isn't defined" (it logs the error at
        # debug and tries the next one), so ask the backends again to tell the two apart.
        failures = _backend_failures(conn_id)
        if failures:
            raise ConnectionUnreadable(
                f"could not read Airflow connection {conn_id!r}: {'; '.join(failures)}"
            ) from None
        return None
    except Exception as exc:  # an authoritative deny, the API server unreachable
        raise ConnectionUnreadable(
            f"could not read Airflow connection {conn_id!r}: {type(exc).__name__}: {exc}"
        ) from exc


def _backend_failures(conn_id: str) -> list[str]:
    """What each configured secrets backend raised for ``conn_id`` (none: not defined)."""
    from airflow.sdk.execution_time.supervisor import ensure_secrets_backend_loaded

    failures = []
    for backend in ensure_secrets_backend_loaded():
        try:
            backend.get_connection(conn_id=conn_id)
        except Exception as exc:
            failures.append(
                f"secrets backend {type(backend).__name__}: {type(exc).__name__}: {exc}"
            )
    return failures


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
        conn = _connection(self.linear_conn_id)  # not defined: the environment may hold it
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

    conn = _connection(connection_id_for(name))  # not defined: the environment may hold it
    return (conn.password if conn is not None else None) or environment_credentials(name)

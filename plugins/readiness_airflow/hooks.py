"""Hooks: the Airflow side of credentials, for the issue tracker and for collectors.

``LinearHook`` owns the connection id (``linear_default``), reads the personal API key from
the connection's password (a secrets backend in production) and falls back to
``LINEAR_API_KEY``. The key is handed to the library's tracker and never logged: Airflow
masks connection passwords in task logs, and the hook's ``repr`` does not show it."""

from __future__ import annotations

import os
from typing import Any

from airflow.sdk import BaseHook


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


class TrackerCredentialsMissing(RuntimeError):
    """Neither the tracker's connection nor its environment variable holds its secret."""


LinearCredentialsMissing = TrackerCredentialsMissing


class TrackerHook(BaseHook):
    """Credentials for any registered tracker from its Airflow connection, the providers'
    way: the hook owns a connection id and reads it lazily, on first use, never at DAG
    parse time. The tracker's ``TrackerConnection`` says which connection and which
    factory option the password becomes; host, login and extras pass through."""

    conn_name_attr = "conn_id"
    hook_name = "Readiness issue tracker"

    def __init__(self, tracker: str, conn_id: str | None = None, **kwargs: Any) -> None:
        from readiness.trackers import TRACKERS

        super().__init__(**kwargs)
        spec = TRACKERS[tracker].connection
        if spec is None:
            raise ValueError(f"tracker {tracker!r} takes no connection")
        self.tracker = tracker
        self.spec = spec
        self.conn_id = conn_id or spec.conn_id
        self._options: dict[str, Any] | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(tracker={self.tracker!r}, conn_id={self.conn_id!r})"

    def tracker_options(self) -> dict[str, Any]:
        """What ``readiness.trackers.open_tracker`` passes to the tracker's factory."""
        if self._options is None:
            self._options = self._read()
        return dict(self._options)

    def _read(self) -> dict[str, Any]:
        options: dict[str, Any] = {}
        secret = None
        conn = _connection(self.conn_id)  # not defined: the environment may hold it
        if conn is not None:
            secret = conn.password or None
            if conn.host:
                scheme = conn.schema or "https"
                options["endpoint"] = conn.host if "://" in conn.host else f"{scheme}://{conn.host}"
            if conn.login:
                options["login"] = conn.login
            options.update(conn.extra_dejson or {})
        if not secret and self.spec.secret_env:
            secret = os.environ.get(self.spec.secret_env) or None
        if not secret:
            also = (
                f" or the {self.spec.secret_env} environment variable"
                if self.spec.secret_env
                else ""
            )
            raise TrackerCredentialsMissing(
                f"no {self.tracker} credentials: set the password of Airflow connection "
                f"{self.conn_id!r}{also}"
            )
        options[self.spec.secret_option] = secret
        return options


class LinearHook(TrackerHook):
    """The Linear tracker's connection (``linear_default``), as ``TrackerHook('linear')``."""

    default_conn_name = "linear_default"
    conn_type = "linear"
    hook_name = "Linear"

    def __init__(self, linear_conn_id: str = default_conn_name, **kwargs: Any) -> None:
        super().__init__("linear", linear_conn_id, **kwargs)

    def get_api_key(self) -> str:
        """The personal API key (sent as ``Authorization: <key>``, without Bearer)."""
        return str(self.tracker_options()["api_key"])

    @property
    def endpoint(self) -> str | None:
        """The connection's host, if it names one; otherwise the tracker's own default
        (``LINEAR_ENDPOINT``, the ``linear_endpoint`` setting, Linear's public API)."""
        endpoint = self.tracker_options().get("endpoint")
        return str(endpoint) if endpoint else None


def connection_credentials(name: str) -> str | None:
    """The collectors' credential source inside Airflow: the password of connection
    ``readiness_<name>`` (so a secrets backend serves it), else the environment
    (``READINESS_CREDENTIAL_<NAME>``). Airflow masks connection passwords in task logs."""
    from readiness.collectors import connection_id_for, environment_credentials

    conn = _connection(connection_id_for(name))  # not defined: the environment may hold it
    return (conn.password if conn is not None else None) or environment_credentials(name)

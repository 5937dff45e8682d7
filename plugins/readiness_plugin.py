"""Registers readiness with Airflow (plugins/ is scanned by every component): the listener
that writes each run's outcome into its note, and, on the api-server, the readiness pages
and JSON API at /readiness (``readiness_airflow.ui``) with a nav entry and a tab on every
service DAG's page."""

from __future__ import annotations

from typing import Any

from airflow.plugins_manager import AirflowPlugin

from readiness_airflow import listener


class _OnTheApiServer:
    """The FastAPI app, imported only when the api-server asks for plugin apps: importing
    it costs 0.7 CPU-s, which no task process should pay."""

    def __get__(self, _obj: object, _owner: type | None = None) -> list[dict[str, Any]]:
        from readiness_airflow.ui import app

        return [{"app": app, "url_prefix": "/readiness", "name": "Readiness"}]


class ReadinessPlugin(AirflowPlugin):
    name = "readiness"
    listeners = [listener]  # noqa: RUF012 (Airflow reads the class attribute)
    fastapi_apps = _OnTheApiServer()
    external_views = [  # noqa: RUF012
        {
            "name": "Readiness",
            "href": "/readiness/",
            "destination": "nav",
            "url_route": "readiness",
        },
        {
            "name": "Readiness",
            "href": "/readiness/dags/{DAG_ID}",
            "destination": "dag",
            "url_route": "readiness-dag",
        },
    ]

"""Registers the readiness listener with Airflow (plugins/ is scanned by every component)."""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from readiness_airflow import listener


class ReadinessPlugin(AirflowPlugin):
    name = "readiness"
    listeners = [listener]  # noqa: RUF012 (Airflow reads the class attribute)

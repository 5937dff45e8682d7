"""Celery settings for readiness workers: Airflow's defaults, plus the validation libraries
imported once in each worker's main process before its pool forks (``worker_init``), so
tasks forked from it do not each pay the Great Expectations import.

    AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS=readiness_airflow.celery_config.CELERY_CONFIG"""

from __future__ import annotations

from typing import Any

from airflow.providers.celery.executors.default_celery import DEFAULT_CELERY_CONFIG
from celery.signals import worker_init

CELERY_CONFIG: dict[str, Any] = dict(DEFAULT_CELERY_CONFIG)


@worker_init.connect
def _preload(**_: Any) -> None:
    from readiness_airflow.executors import preload_validation

    preload_validation()

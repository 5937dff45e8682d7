"""Airflow for the DAG tests: a throwaway AIRFLOW_HOME with a SQLite metadata DB, the
project's dags/ and plugins/. Airflow reads its configuration once, at first import, so
the environment is set here, when pytest collects this folder, before any test imports
``airflow``."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "plugins"))

from readiness_airflow.local import airflow_env, apply_env  # noqa: E402

AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="readiness-airflow-"))
apply_env(airflow_env(ROOT, AIRFLOW_HOME), override=True)
os.environ["AIRFLOW__LOGGING__LOGGING_LEVEL"] = "WARNING"


@pytest.fixture(scope="session")
def metadata_db() -> Path:
    """A migrated SQLite metadata DB, for ``dag.test()``."""
    from readiness_airflow.local import migrate_metadata_db

    migrate_metadata_db()
    return AIRFLOW_HOME

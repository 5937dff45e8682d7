"""The readiness DAGs: one evaluation DAG per service spec in ``services/``, the quarterly
revalidation DAG, and a failing stand-in for any spec that does not load.

Deliberately thin: everything is built by ``readiness_airflow.factory`` from the specs."""

from __future__ import annotations

from readiness_airflow.factory import build_dags

globals().update(build_dags())

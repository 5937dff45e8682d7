"""What the BigQuery collectors share: the client (from the request's extras in tests, else
built from the settings) and a bounded retry."""

from __future__ import annotations

import re
from typing import Any

from readiness.collectors import CollectRequest

#: project.dataset.table, each part as BigQuery allows it; nothing else reaches SQL text.
TABLE_ID = re.compile(
    r"^[a-z][a-z0-9\-]{4,61}[a-z0-9]\.[A-Za-z0-9_]{1,1024}\.[A-Za-z0-9_$\-]{1,1024}$"
)
COLUMN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,299}$")


def client_for(request: CollectRequest, project: str) -> Any:
    given = request.extras.get("bigquery_client")
    if given is not None:
        return given
    from readiness.history.bigquery_store import bigquery_client

    return bigquery_client(
        project,
        request.extras.get("bigquery_location") or None,
        request.extras.get("bigquery_endpoint") or None,
    )


def budget(request: CollectRequest) -> dict[str, Any]:
    """Bounded here; past it the task fails and Airflow retries it with backoff."""
    from google.cloud.bigquery import DEFAULT_RETRY

    seconds = float(request.extras.get("api_retry_s", 30.0))
    return {"retry": DEFAULT_RETRY.with_timeout(seconds), "timeout": min(seconds, 30.0)}


def query_budget(request: CollectRequest) -> dict[str, Any]:
    """``budget`` for ``client.query``: no job retry, whose insert wrapper retries for ten
    minutes whatever deadline it is given; the bounded ``retry`` covers the API calls."""
    return {**budget(request), "job_retry": None}

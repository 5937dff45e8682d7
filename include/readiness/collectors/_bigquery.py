"""What the BigQuery collectors share: the client (from the request's context: the
emulator's in tests, else built from the settings) and a bounded retry."""

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
    context = request.context
    if context.bigquery_client is not None:
        return context.bigquery_client
    from readiness.clients.bigquery import bigquery_client

    return bigquery_client(project, context.bigquery_location, context.bigquery_endpoint)


def budget(request: CollectRequest) -> dict[str, Any]:
    """Bounded here; past it the task fails and Airflow retries it with backoff."""
    from google.cloud.bigquery import DEFAULT_RETRY

    seconds = request.context.api_retry_s
    return {"retry": DEFAULT_RETRY.with_timeout(seconds), "timeout": min(seconds, 30.0)}


class MissingParameter(KeyError):
    """The SQL names a ``@parameter`` nobody gave a value for (the checklist's bug)."""


def run_query(
    request: CollectRequest,
    project: str,
    sql: str,
    values: dict[str, Any],
    max_rows: int | None = None,
    client: Any = None,
) -> list[dict[str, Any]]:
    """Rows of ``sql``, every ``@name`` it uses bound from ``values`` as a typed parameter
    (never pasted into the text), with the bounded retry. No job retry: its insert
    wrapper retries for ten minutes whatever deadline it is given."""
    from google.cloud import bigquery

    from readiness.clients.bigquery import query_parameter

    names = sorted(set(re.findall(r"@(\w+)", sql)))
    for name in names:
        if name not in values:
            raise MissingParameter(name)
    config = bigquery.QueryJobConfig(
        query_parameters=[query_parameter(n, values[n]) for n in names]
    )
    limits = budget(request)
    client = client or client_for(request, project)
    job = client.query(sql, job_config=config, job_retry=None, **limits)
    rows = job.result(timeout=limits["timeout"], max_results=max_rows, job_retry=None)
    return [dict(row.items()) for row in rows]


def is_bad_request(exc: Exception) -> bool:
    """A query BigQuery rejects is the checklist's bug: retrying will not fix it."""
    from google.api_core.exceptions import BadRequest

    return isinstance(exc, BadRequest)

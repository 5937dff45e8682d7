"""The BigQuery client and typed query parameters, shared by the BigQuery history store and
the BigQuery collectors. The Google client is imported only when one is built."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any


def bigquery_client(project: str, location: str | None, endpoint: str | None = None) -> Any:
    """The official client: Application Default Credentials, or anonymous against an
    emulator's ``endpoint``."""
    from google.cloud import bigquery

    if endpoint:
        from google.api_core.client_options import ClientOptions
        from google.auth.credentials import AnonymousCredentials

        return bigquery.Client(
            project=project,
            location=location,
            credentials=AnonymousCredentials(),
            client_options=ClientOptions(api_endpoint=endpoint),
        )
    return bigquery.Client(project=project, location=location)


def query_parameter(name: str, value: Any, kind: str | None = None) -> Any:
    """A typed query parameter: the type from ``kind`` (a schema type) or the value."""
    from google.cloud import bigquery

    if isinstance(value, (list, tuple)):
        if value and all(isinstance(v, date) and not isinstance(v, datetime) for v in value):
            return bigquery.ArrayQueryParameter(name, "DATE", list(value))
        return bigquery.ArrayQueryParameter(name, "STRING", [str(v) for v in value])
    if kind is None:
        if isinstance(value, bool):
            kind = "BOOL"
        elif isinstance(value, int):
            kind = "INT64"
        elif isinstance(value, float):
            kind = "FLOAT64"
        elif isinstance(value, datetime):
            kind = "TIMESTAMP"
        elif isinstance(value, date):
            kind = "DATE"
        else:
            kind = "STRING"
    if kind == "JSON":
        kind = "STRING"
    return bigquery.ScalarQueryParameter(name, kind, value)

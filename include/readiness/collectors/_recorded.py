"""The recorded side of the live collectors: with live sources off (the embedded default,
or a backfill), a collector reads the documents of the same shape that an exporter
recorded in the evidence store, one per named resource, the newest of each."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from readiness.collectors import CollectRequest
from readiness.domain.model import Evidence


def recorded(
    request: CollectRequest, document: str, key: str, names: list[str], **options: Any
) -> Evidence:
    """The newest ``document`` record per ``key`` in ``names``; ``missing`` naming any
    resource that has none (an incomplete picture proves nothing)."""
    from readiness.collectors.document.collector import COLLECTOR as DOCUMENTS

    params = {"document": document, "where": {key: names}, "latest_by": key, **options}
    evidence = DOCUMENTS.collect(replace(request, params=params))
    if evidence.error or not evidence.found:
        return evidence
    seen = {row.get(key) for row in evidence.rows}
    absent = [name for name in names if name not in seen]
    if absent:
        return Evidence.missing(
            evidence.uri,
            evidence.fetched_at,
            f"no recorded {document} for {', '.join(absent)}",
        )
    return replace(evidence, summary={**evidence.summary, "source": "recorded"})


def names_of(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)

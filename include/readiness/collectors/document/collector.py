"""The ``document`` collector: evidence documents from the evidence store."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, field_validator

from readiness.collectors import CollectRequest, where_it_goes
from readiness.domain.model import Evidence
from readiness.evidence.documents import (
    DocumentError,
    document_kind,
    document_kinds,
    load_documents,
    to_row,
)
from readiness.evidence.provenance import combined_sha256
from readiness.evidence.store import StoreUnavailable
from readiness.support.timeutil import parse_duration, utcnow


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid")

    document: str
    path: str | None = None
    where: dict[str, Any] = {}
    within: str | None = None
    latest: bool = False
    latest_by: str | None = None
    allow_empty: bool = False

    @field_validator("document")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in document_kinds():
            raise ValueError(
                f"unknown document kind {value!r}; expected one of {', '.join(document_kinds())}"
            )
        return value

    @field_validator("within")
    @classmethod
    def _duration(cls, value: str | None) -> str | None:
        if value is not None:
            parse_duration(value)
        return value


def matches(row: dict[str, Any], where: dict[str, Any]) -> bool:
    for field, wanted in where.items():
        value = row.get(field)
        if isinstance(wanted, list):
            if value not in wanted:
                return False
        elif value != wanted:
            return False
    return True


class DocumentCollector:
    kind: ClassVar[str] = "document"
    source: ClassVar[str] = "store"
    outage: ClassVar[str] = "source"
    recorded: ClassVar[str | None] = None
    Params: ClassVar[type[BaseModel]] = Params

    def collect(self, request: CollectRequest) -> Evidence:
        params = Params.model_validate(request.params)
        spec = document_kind(params.document)
        pattern = params.path or f"{params.document}/**/*"
        fetched_at = utcnow()
        where_uri = f"{request.store.root}/{pattern}"
        try:
            docs = load_documents(
                request.store, params.document, pattern, keep=lambda raw: matches(raw, params.where)
            )
        except StoreUnavailable as exc:
            return Evidence.failed(where_uri, fetched_at, str(exc), transient=True)
        except DocumentError as exc:
            return Evidence.failed(where_uri, fetched_at, str(exc))
        since: datetime | None = None
        if params.within:
            since = request.as_of - parse_duration(params.within)
        kept = []
        for doc in docs:
            if doc.timestamp > request.as_of or (since is not None and doc.timestamp < since):
                continue
            row = to_row(spec, doc.record)
            if matches(row, params.where):
                kept.append((doc, row))
        if params.latest and kept:
            kept = [max(kept, key=lambda pair: pair[0].timestamp)]
        if params.latest_by and kept:
            newest: dict[Any, tuple[Any, dict[str, Any]]] = {}
            for doc, row in kept:
                group = row.get(params.latest_by)
                if group not in newest or doc.timestamp > newest[group][0].timestamp:
                    newest[group] = (doc, row)
            kept = list(newest.values())
        if not kept and not params.allow_empty:
            what = f"no {params.document} record matched {pattern}"
            if params.where:
                what += f" where {params.where}"
            what += where_it_goes(request, pattern)
            return Evidence.missing(where_uri, fetched_at, what)
        rows = [row for _doc, row in kept]
        columns = list(spec.columns)
        for row in rows:
            columns.extend(c for c in row if c not in columns)
        uris = {doc.uri for doc, _row in kept}
        sources = tuple(sorted({doc.source for doc, _row in kept}))
        return Evidence(
            rows=rows,
            columns=tuple(columns),
            uri=next(iter(uris)) if len(uris) == 1 else where_uri,
            # only the records used: the same as-of hashes the same once later ones exist
            sha256=sources[0][1] if len(sources) == 1 else combined_sha256(sources),
            sources=sources,
            fetched_at=fetched_at,
            observed_at=max((d.timestamp for d, _r in kept), default=None),
            summary={
                "document": params.document,
                "records": len(rows),
                "objects": sorted(uris)[:20],
            },
        )


COLLECTOR = DocumentCollector()

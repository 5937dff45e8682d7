"""Evidence collectors: one small plug-in per folder, behind one interface.

Each folder holds ``DEFINITION.md`` (kind, parameters, what it returns, what counts as
``missing``), ``collector.py`` (a ``Params`` model and a collector class), its tests and
its test data. Collectors gather rows plus provenance and never decide pass/fail: the
item's expectations do.

Modules are imported by kind on first use, so loading checklists (as DAG files do at
parse time) stays cheap.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from pydantic import BaseModel

from readiness.model import Evidence, Item, ServiceSpec

if TYPE_CHECKING:
    from readiness.evidence.store import EvidenceStore


#: kind → module that defines ``COLLECTOR``.
KINDS: dict[str, str] = {
    "document": "readiness.collectors.document.collector",
    "attestation": "readiness.collectors.attestation.collector",
    "repo_files": "readiness.collectors.repo_files.collector",
    "repo_grep": "readiness.collectors.repo_grep.collector",
    "slo_budget": "readiness.collectors.slo_budget.collector",
    "bucket_settings": "readiness.collectors.bucket_settings.collector",
    "bigquery_table": "readiness.collectors.bigquery_table.collector",
    "bigquery_query": "readiness.collectors.bigquery_query.collector",
    "coverage_report": "readiness.collectors.coverage_report.collector",
    "http_probe": "readiness.collectors.http_probe.collector",
}


@dataclass
class CollectRequest:
    """Everything a collector may use for one item of one service."""

    service: ServiceSpec
    item: Item
    params: dict[str, Any]
    as_of: datetime
    store: EvidenceStore
    project_root: str
    extras: dict[str, Any] = field(default_factory=dict)
    #: Read live sources (cloud APIs, HTTP endpoints) rather than the recorded documents
    #: of the same shape in the evidence store (``live_sources`` setting).
    live: bool = False


class Collector(Protocol):
    kind: ClassVar[str]
    Params: ClassVar[type[BaseModel]]

    def collect(self, request: CollectRequest) -> Evidence: ...


_CACHE: dict[str, Collector] = {}


def get_collector(kind: str) -> Collector:
    """The collector for ``kind``; KeyError for an unknown kind."""
    if kind not in _CACHE:
        module = importlib.import_module(KINDS[kind])
        _CACHE[kind] = module.COLLECTOR
    return _CACHE[kind]


def register(kind: str, module: str) -> None:
    """Add a collector kind from outside the package (a plug-in of the user's own)."""
    KINDS[kind] = module
    _CACHE.pop(kind, None)

"""A collector with a source of its own needs nothing outside its folder: the engine groups
its outages, and the DAG collects it in a task of its own, from what it declares."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar

import pytest
from pydantic import BaseModel

from readiness.collectors import KINDS, CollectRequest, register, source_of
from readiness.domain.model import Evidence, EvidenceSource, Item
from readiness.evidence.store import LocalStore
from readiness.pipeline.collect import collect_evidence
from readiness.spec.config import Settings
from readiness.spec.loader import load_catalog

AS_OF = datetime(2026, 11, 20, 6, tzinfo=UTC)


class PagerDutyCollector:
    """On-call schedules from PagerDuty's API, one endpoint for every item."""

    kind: ClassVar[str] = "pagerduty"
    source: ClassVar[str] = "pagerduty"
    outage: ClassVar[str] = "source"
    recorded: ClassVar[str | None] = None
    Params: ClassVar[type[BaseModel]] = BaseModel
    calls: ClassVar[int] = 0

    def collect(self, request: CollectRequest) -> Evidence:
        type(self).calls += 1
        return Evidence.failed(
            "https://api.pagerduty.com", AS_OF, "connection refused", transient=True
        )


COLLECTOR = PagerDutyCollector()


def _item(n: int) -> Item:
    return Item(
        id=f"PD{n}",
        title="on-call",
        section="obs",
        section_title="Observability",
        required_from="L1",
        evidence=EvidenceSource("pagerduty", {}),
        expectations=(),
    )


def test_a_collector_with_its_own_source_groups_its_outage(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(KINDS, "pagerduty", __name__)
    register("pagerduty", __name__)
    assert source_of("pagerduty", live=False) == "pagerduty"
    catalog = load_catalog(settings.checklist_paths, settings.service_paths)
    spec = catalog.specs["file-storage-service"]
    items = [(_item(n), None) for n in range(3)]

    collected = collect_evidence(settings, spec, items, LocalStore(tmp_path), AS_OF)

    assert PagerDutyCollector.calls == 1  # the other two items did not wait out the source
    assert {ev.outage for ev in collected.values()} == {"pagerduty"}
    assert all(ev.error == "connection refused" for ev in collected.values())

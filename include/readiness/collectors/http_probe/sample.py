"""Healthy recorded probe results: /healthz and /readyz from three regions every day, and
the metric families the items list."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from readiness.collectors.samples import SampleContext, SampleStore, iso
from readiness.domain.model import Item

DAYS, FIRST = 18, 9
REGIONS = ("europe-west1", "europe-west4", "europe-north1")


class ProbeSample:
    def __init__(self, context: SampleContext) -> None:
        self.context = context
        self.metric_probes: dict[str, list[str]] = {}

    def add_item(self, item: Item, params: dict[str, Any], wanted: dict[str, Any]) -> None:
        if params.get("metrics"):
            self.metric_probes[params["urls"]] = list(params["metrics"])

    def add_recorded(self, where: dict[str, Any], wanted: dict[str, Any]) -> None:
        pass

    def write(self, store: SampleStore) -> None:
        base_url = self.context.locations["base_url"]
        for offset in range(DAYS):
            when = self.context.today - timedelta(days=FIRST) + timedelta(days=offset)
            for path in ("healthz", "readyz"):
                for region in REGIONS:
                    store.add(
                        "probe_result/daily.jsonl",
                        {
                            "url": f"{base_url}/{path}",
                            "checked_at": iso(when),
                            "status_code": 200,
                            "latency_ms": 41,
                            "region": region,
                        },
                    )
            for url, families in self.metric_probes.items():
                store.add(
                    "probe_result/daily.jsonl",
                    {
                        "url": url,
                        "checked_at": iso(when),
                        "status_code": 200,
                        "latency_ms": 35,
                        "region": "europe-west1",
                        "metrics": families,
                    },
                )


def sample(context: SampleContext) -> ProbeSample:
    return ProbeSample(context)

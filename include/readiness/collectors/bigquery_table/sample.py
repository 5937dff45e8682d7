"""Healthy recorded table settings, exported daily over the story."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from readiness.collectors.samples import SampleContext, SampleStore, iso
from readiness.domain.model import Item

#: Days of daily exports: from 9 days before the story's today to its end.
DAYS, FIRST = 18, 9


class TableSample:
    def __init__(self, context: SampleContext) -> None:
        self.context = context
        self.tables: dict[str, dict[str, Any]] = {}

    def add_item(self, item: Item, params: dict[str, Any], wanted: dict[str, Any]) -> None:
        self.tables.setdefault(params["table"], {}).update(wanted)

    def add_recorded(self, where: dict[str, Any], wanted: dict[str, Any]) -> None:
        self.tables.setdefault(where["table"], {}).update(wanted)

    def write(self, store: SampleStore) -> None:
        for offset in range(DAYS):
            when = self.context.today - timedelta(days=FIRST) + timedelta(days=offset)
            for table, wanted in self.tables.items():
                store.add(
                    "table_settings/daily.jsonl",
                    {
                        "table": table,
                        "observed_at": iso(when),
                        "location": "europe-west1",
                        "freshness_lag_minutes": 2,
                        "partition_expiration_days": None,
                        **{k: v for k, v in wanted.items() if k != "freshness_lag_minutes"},
                    },
                )


def sample(context: SampleContext) -> TableSample:
    return TableSample(context)

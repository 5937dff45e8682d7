"""Sample SLO event counts: hourly good/total counts over the window, exported daily."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from readiness.collectors.samples import NoItems, SampleContext, SampleStore, iso


def slo_exports(
    store: SampleStore, today: datetime, days: int, bad_hours: set[int] | None = None
) -> None:
    """Hourly good/total counts for a 28-day window, exported once a day."""
    start = today - timedelta(days=30)
    end = today + timedelta(days=days - 9)
    hour, bad_hours = 0, bad_hours or set()
    per_day: dict[str, list[dict[str, Any]]] = {}
    t = start
    while t < end:
        total = 36000
        good = total - (180 if hour in bad_hours else 9)
        export_day = (t + timedelta(hours=1)).date().isoformat()
        per_day.setdefault(export_day, []).append(
            {"start": iso(t), "minutes": 60, "good": good, "total": total}
        )
        t += timedelta(hours=1)
        hour += 1
    for day, buckets in sorted(per_day.items()):
        generated = datetime.fromisoformat(day).replace(tzinfo=UTC) + timedelta(days=1, hours=1)
        store.files[f"slo_events/{day}.json"] = [
            {
                "slo": "availability",
                "objective": 0.999,
                "window": "28d",
                "generated_at": iso(generated),
                "buckets": buckets,
            }
        ]


class SloSample(NoItems):
    def __init__(self, context: SampleContext) -> None:
        self.context = context

    def write(self, store: SampleStore) -> None:
        slo_exports(store, self.context.today, days=18)


def sample(context: SampleContext) -> SloSample:
    return SloSample(context)

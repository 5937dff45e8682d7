"""Healthy sample documents: CI results (twice over the story), config snapshots and drill
reports as each item's expectations want them. A document of a kind another collector
records (bucket or table settings) goes to that collector's sample writer."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from readiness.collectors.samples import SampleContext, SampleStore, iso
from readiness.domain.model import Item


def _nest(flat: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in flat.items():
        if key.startswith("settings."):
            out.setdefault("settings", {})[key[len("settings.") :]] = value
        else:
            out[key] = value
    return out


class DocumentSample:
    def __init__(self, context: SampleContext) -> None:
        self.context = context
        ci_day = context.today - timedelta(days=2)
        self.ci_days = (ci_day, ci_day + timedelta(days=7))  # CI exports twice over the story

    def add_item(self, item: Item, params: dict[str, Any], wanted: dict[str, Any]) -> None:
        store, service, today = self.context.store, self.context.service, self.context.today
        doc, where = params["document"], params.get("where", {})
        variants = [dict(where)]
        for key, value in where.items():  # one record per listed value
            if isinstance(value, list):
                variants = [{**v, key: each} for v in variants for each in value]
        if doc == "ci_check":
            for v, day in [(v, d) for v in variants for d in self.ci_days]:
                metrics = {
                    k[len("metrics.") :]: val
                    for k, val in wanted.items()
                    if k.startswith("metrics.")
                }
                store.add(
                    f"ci_check/{day.date()}.jsonl",
                    {
                        "check": v["check"],
                        "status": "passed",
                        "branch": v.get("branch", "main"),
                        "commit": "4f2a9c1",
                        "finished_at": iso(day),
                        "url": f"https://ci.example.com/{service}/runs/8812",
                        "metrics": metrics,
                    },
                )
        elif doc == "config_snapshot":
            rec = {
                "system": where["system"],
                "resource": where["resource"],
                "captured_at": iso(today - timedelta(days=3)),
            }
            rec.update(_nest(wanted))
            path = f"config_snapshot/{where['system']}.jsonl"
            existing = [r for r in store.files.get(path, []) if r["resource"] == rec["resource"]]
            if existing:
                existing[0].setdefault("settings", {}).update(rec.get("settings", {}))
            else:
                store.add(path, rec)
        elif doc in self.context.recorders:
            self.context.recorders[doc].add_recorded(where, wanted)
        elif doc == "drill_report":
            for v in variants:
                finished = today - (item.max_age or timedelta(days=60)) / 3
                store.add(
                    f"drill_report/{item.id.lower()}-{finished.date()}.json",
                    {
                        "kind": v.get("kind", "game_day"),
                        "scenario": v.get("scenario", item.title),
                        "environment": v.get("environment", "staging"),
                        "started_at": iso(finished - timedelta(hours=2)),
                        "finished_at": iso(finished),
                        "outcome": "passed",
                        "rto_minutes": 22,
                        "rpo_minutes": 3,
                        "announced": True,
                        "report_url": f"https://drills.example.com/{service}/{item.id}",
                    },
                )

    def add_recorded(self, where: dict[str, Any], wanted: dict[str, Any]) -> None:
        pass

    def write(self, store: SampleStore) -> None:
        pass


def sample(context: SampleContext) -> DocumentSample:
    return DocumentSample(context)

"""Sample evidence a collector's tooling would have exported for a healthy service: the
story's sample store (``samples/generate.py``) is built from each checklist item's own
expectations by the collectors that read it. A collector that has sample evidence holds a
``sample.py`` beside its ``collector.py`` (found by convention, as ``recognise.py`` is) with
``sample(context) -> SampleWriter``; the generator names no kind."""

from __future__ import annotations

import importlib
import importlib.util
import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from readiness.domain.model import Expectation, Item

KMS = "projects/melmastoon-prod/locations/europe-west1/keyRings/storage/cryptoKeys/{name}"


def iso(ts: datetime) -> str:
    return ts.isoformat().replace("+00:00", "Z")


def satisfy(expectations: tuple[Expectation, ...]) -> dict[str, Any]:
    """Column values that meet the expectations (for healthy baseline evidence)."""
    values: dict[str, Any] = {}
    for exp in expectations:
        kw, col = exp.kwargs, exp.kwargs.get("column")
        if col is None or kw.get("row_condition"):
            continue
        if exp.type.endswith("_to_be_in_set"):
            values[col] = kw["value_set"][0]
        elif exp.type.endswith("_to_be_between"):
            values[col] = kw["min_value"] if kw.get("min_value") is not None else kw["max_value"]
        elif exp.type.endswith("_to_match_regex"):
            values[col] = KMS.format(name="default")
        elif exp.type.endswith("_to_not_be_null"):
            values.setdefault(col, "2" if "limit" in col else "https://reports.example.com/x")
    return values


class SampleStore:
    """Files of one service's sample evidence store, written deterministically."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.files: dict[str, list[Any]] = {}

    def add(self, path: str, record: dict[str, Any]) -> None:
        self.files.setdefault(path, []).append(record)

    def write(self) -> None:
        for path, records in self.files.items():
            target = self.root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(records[0], str):  # a report file, written as it is
                target.write_text(records[0])
            elif path.endswith(".jsonl"):
                target.write_text("".join(json.dumps(r, sort_keys=True) + "\n" for r in records))
            else:
                body = records[0] if len(records) == 1 else records
                target.write_text(json.dumps(body, indent=2, sort_keys=True) + "\n")


class SampleWriter(Protocol):
    """One collector's sample evidence for one service."""

    def add_item(self, item: Item, params: dict[str, Any], wanted: dict[str, Any]) -> None:
        """An item this collector reads, its params resolved, and values that satisfy it."""
        ...

    def add_recorded(self, where: dict[str, Any], wanted: dict[str, Any]) -> None:
        """An item that reads this collector's recorded document kind through ``document``."""
        ...

    def write(self, store: SampleStore) -> None:
        """Everything aggregated, into the store (after every item was added)."""
        ...


@dataclass
class SampleContext:
    service: str
    locations: dict[str, str]
    #: the story's "today": evidence is dated relative to it
    today: datetime
    store: SampleStore
    #: choices of the story's (``coverage_format``: ``lcov`` or ``cobertura``)
    options: dict[str, str] = field(default_factory=dict)
    #: document kind → the writer of the collector that records it (``recorded``)
    recorders: dict[str, SampleWriter] = field(default_factory=dict)


def sample_writers(context: SampleContext) -> dict[str, SampleWriter]:
    """Every registered collector's sample writer, by kind; ``context.recorders`` is filled
    from the collectors' ``recorded`` declarations."""
    from readiness.collectors import KINDS, get_collector

    writers: dict[str, SampleWriter] = {}
    for kind, module in KINDS.items():
        name = module.rsplit(".", 1)[0] + ".sample"
        if importlib.util.find_spec(name) is None:
            continue
        writers[kind] = importlib.import_module(name).sample(context)
        recorded = get_collector(kind).recorded
        if recorded:
            context.recorders[recorded] = writers[kind]
    return writers


class NoItems:
    """A writer whose evidence does not depend on the checklist's items."""

    def add_item(self, item: Item, params: dict[str, Any], wanted: dict[str, Any]) -> None:
        pass

    def add_recorded(self, where: dict[str, Any], wanted: dict[str, Any]) -> None:
        pass

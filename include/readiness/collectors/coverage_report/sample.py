"""A sample coverage report as CI uploads it, for the path prefixes the items measure."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from readiness.collectors.samples import NoItems, SampleContext, SampleStore
from readiness.domain.model import Item


def coverage_report(store: SampleStore, prefixes: list[str], day: datetime, lcov: bool) -> None:
    """A real report as CI uploads it (Cobertura XML, or lcov), one source file per prefix:
    241 of 250 lines (96.4 %) and 46 of 48 branches (95.8 %) covered."""
    if lcov:
        text = []
        for prefix in prefixes:
            text.append(f"SF:{prefix}module.ts")
            text += [f"DA:{n},{0 if n > 241 else 3}" for n in range(1, 251)]
            text += [f"BRDA:{n},0,0,{'-' if n > 46 else 1}" for n in range(1, 49)]
            text += ["LF:250", "LH:241", "BRF:48", "BRH:46", "end_of_record"]
        store.files[f"coverage/{day.date()}-lcov.info"] = ["\n".join(text) + "\n"]
        return
    stamp = int(day.timestamp() * 1000)
    classes = []
    for prefix in prefixes:
        lines = [
            f'<line number="{n}" hits="{3 if n <= 241 else 0}"'
            + (
                f' branch="true" condition-coverage="{"0% (0/2)" if n == 24 else "100% (2/2)"}"'
                if n <= 24
                else ""
            )
            + "/>"
            for n in range(1, 251)
        ]
        classes.append(
            f'<class filename="{prefix}module.ts" name="{prefix}"><lines>'
            + "".join(lines)
            + "</lines></class>"
        )
    store.files[f"coverage/{day.date()}-cobertura.xml"] = [
        f'<?xml version="1.0" ?>\n<coverage timestamp="{stamp}" version="1"><packages>'
        f'<package name="src"><classes>{"".join(classes)}</classes></package>'
        "</packages></coverage>\n"
    ]


class CoverageSample(NoItems):
    def __init__(self, context: SampleContext) -> None:
        self.context = context
        self.prefixes: set[str] = set()

    def add_item(self, item: Item, params: dict[str, Any], wanted: dict[str, Any]) -> None:
        prefixes = params["prefixes"]
        self.prefixes.update([prefixes] if isinstance(prefixes, str) else prefixes)

    def write(self, store: SampleStore) -> None:
        if self.prefixes:
            day = self.context.today - timedelta(days=2)  # CI's upload
            lcov = self.context.options.get("coverage_format") == "lcov"
            coverage_report(store, sorted(self.prefixes), day, lcov=lcov)


def sample(context: SampleContext) -> CoverageSample:
    return CoverageSample(context)

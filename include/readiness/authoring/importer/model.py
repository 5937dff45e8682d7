"""What the importer reads a document into, and the result it writes out as YAML."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml


@dataclass
class ImportedItem:
    id: str | None
    title: str
    line: int
    check: str = ""
    evidence_text: str = ""
    roles: list[str] = field(default_factory=list)
    split_doubtful: bool = False
    signoff: bool = False
    #: A row of a sign-off table (one item per role): numbered like any item.
    numbered_signoff: bool = False
    #: What the document says beyond the name, and the links it gives.
    description: str = ""
    links: list[str] = field(default_factory=list)
    #: Level ids a table ticks for the item (one column per level); None: no such table.
    ticked: tuple[str, ...] | None = None
    #: The level a ``Level``/``Priority`` column names for the item.
    level_value: str | None = None
    #: Why the item's levels are in doubt (a level cell that is neither tick nor blank).
    level_doubt: str = ""


@dataclass
class ImportedSection:
    number: str
    title: str
    line: int
    items: list[ImportedItem] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    #: Indentation of the section's top-level bullets; deeper ones belong to the item above.
    bullet_indent: int | None = None
    description: str = ""
    #: The file (phase) the section came from, when several files make one checklist.
    phase: str = ""


@dataclass
class ImportResult:
    checklist: dict[str, Any]
    #: (line, message): what could not be parsed or was guessed.
    notes: list[tuple[int, str]]
    items: int
    review: int
    #: Levels below the top that no item is required from: a service reaches them with no
    #: evidence at all, which the document almost certainly did not mean.
    empty_levels: list[str] = field(default_factory=list)
    #: One loud line: how many items a person must look at, and why.
    summary: str = ""

    def yaml(self, source: str) -> str:
        header = (
            f"# Imported from {source} by `readiness import-checklist`: {self.items} items, "
            f"{self.review} marked `review:`\n"
            "# (each says what was guessed: a check name, a resource, a pattern, or that no\n"
            "# collector fits). Check the levels each item is required from, then run\n"
            "# `readiness check`.\n"
        )
        if self.empty_levels:
            header += f"# review: {empty_levels_warning(self.empty_levels)}\n"
        if self.summary:
            header += f"# {self.summary}\n"
        return header + yaml.dump(
            self.checklist, Dumper=_PlainDumper, sort_keys=False, allow_unicode=True, width=100
        )


class _PlainDumper(yaml.SafeDumper):
    """No ``&id001`` anchors: the YAML is for people to edit."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def empty_levels_warning(levels: list[str]) -> str:
    return (
        f"no item is required from {', '.join(levels)}: a service reaches "
        f"{'that level' if len(levels) == 1 else 'those levels'} with no evidence at all. "
        "Give each item the level the document means (required_from), or pass "
        "--required-from"
    )

"""How far an imported checklist agrees with a hand-made one (the bench and the tests'
floors)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Agreement:
    """How an imported checklist compares with a hand-made one, item by item (matched by
    id): the share with the same collector (for ``document``, the same document kind) and
    the same ``max_age``."""

    imported: int
    reference: int
    common: int
    same_collector: int
    same_max_age: int

    @property
    def collector_share(self) -> float:
        return self.same_collector / self.common if self.common else 0.0

    @property
    def max_age_share(self) -> float:
        return self.same_max_age / self.common if self.common else 0.0


def agreement(imported: Any, reference: Any) -> Agreement:
    """``imported`` and ``reference`` are loaded ``Checklist`` objects."""

    def collector(item: Any) -> str:
        kind = str(item.evidence.kind)
        return f"document:{item.evidence.params.get('document')}" if kind == "document" else kind

    mine = {i.id: i for i in imported.items}
    theirs = {i.id: i for i in reference.items}
    common = sorted(set(mine) & set(theirs))
    return Agreement(
        imported=len(mine),
        reference=len(theirs),
        common=len(common),
        same_collector=sum(collector(mine[i]) == collector(theirs[i]) for i in common),
        same_max_age=sum(mine[i].max_age == theirs[i].max_age for i in common),
    )


# ------------------------------------------------ documents with no hand-made checklist

_TASK = re.compile(r"^\s*[-*+]\s+\[[ xX]\]\s+\S")
_ROW = re.compile(r"^\s*\|(.+)\|\s*$")
_RULE = re.compile(r"^\s*\|?\s*:?-{2,}")
_STATED = re.compile(
    r"\d+(?:\.\d+)?\s*%|\b(?:daily|weekly|monthly|quarterly|yearly|annually|nightly)\b"
    r"|\bwithin\s+\d+\s*(?:day|week|month)",
    re.I,
)


@dataclass(frozen=True)
class DocumentAgreement:
    """How an import of a public document compares with what the document plainly says,
    read here with line patterns only (independently of ``forms``): its check rows (table
    body rows and ``- [ ]`` tasks), which levels each row ticks, and the rows that state a
    threshold or cadence."""

    document: str
    rows: int
    items: int
    #: rows whose levels the import has right, of the rows whose levels the document states
    levels_right: int
    levels_stated: int
    #: rows stating a threshold or cadence, and how many of them the import read
    thresholds_stated: int
    thresholds_read: int

    def line(self) -> str:
        levels = f"{self.levels_right}/{self.levels_stated}" if self.levels_stated else "n/a"
        return (
            f"{self.document:44} {self.rows:4} → {self.items:<4} levels {levels:7} "
            f"thresholds {self.thresholds_read}/{self.thresholds_stated}"
        )


#: A row as the document plainly states it: ("ticks", the ticked levels), ("value", the
#: level a Level column names), or ("none", ()) for a row or task with no levels.
PlainRow = tuple[str, tuple[str, ...]]


def _plain_rows(text: str) -> dict[int, PlainRow]:
    """Line → what the row states about its levels."""
    rows: dict[int, PlainRow] = {}
    lines = text.splitlines()
    header: list[str] = []
    for n, line in enumerate(lines, start=1):
        if _TASK.match(line):
            rows[n] = ("none", ())
            continue
        match = _ROW.match(line)
        if match is None:
            header = []
            continue
        cells = [c.strip() for c in match.group(1).split("|")]
        if n < len(lines) and _RULE.match(lines[n]):
            header = cells
            continue
        if not header or _RULE.match(line):
            continue
        levels = [h.split()[-1] if h.lower().startswith("level ") else "" for h in header]
        if any(levels) and len(cells) == len(header):
            rows[n] = ("ticks", tuple(lv for lv, c in zip(levels, cells, strict=True) if lv and c))
        elif "Level" in header and len(cells) == len(header):
            value = re.sub(r"[^A-Za-z ]", "", cells[header.index("Level")]).strip()
            rows[n] = ("value", (value.lower().replace(" ", "-"),))
        elif len(header) > 1 and not re.search(r"\blevels?\b", header[0], re.I):
            rows[n] = ("none", ())  # (a table listing the levels themselves holds no checks)
    return rows


def _expected(row: PlainRow, order: list[str]) -> tuple[str, str | None] | None:
    kind, levels = row
    if kind == "value":
        return (levels[0], None) if levels[0] in order else None
    if kind != "ticks":
        return None
    ranks = sorted(order.index(t) for t in levels if t in order)
    if not ranks:
        return order[-1], None
    top = ranks[-1]
    return order[ranks[0]], (order[top] if top < len(order) - 1 else None)


def document_agreement(
    name: str, texts: dict[str, str], checklist: dict[str, Any], order: list[str]
) -> DocumentAgreement:
    """``texts``: file name → text as given to the import; ``order``: the levels lowest
    first, as the document means them; ``checklist``: the imported checklist (YAML data)."""
    items = [i for s in checklist["sections"] for i in s["items"]]
    by_line: dict[tuple[str, int], dict[str, Any]] = {}
    for item in items:
        found = re.match(r"(.+?) line (\d+)", item.get("notes", ""))
        if found:
            by_line[(found.group(1), int(found.group(2)))] = item
    rows = stated = right = said = read = 0
    for file, text in texts.items():
        lines = text.splitlines()
        for n, row in _plain_rows(text).items():
            rows += 1
            item = by_line.get((file, n))
            if _STATED.search(lines[n - 1]):
                said += 1
                read += bool(item and "read from the text" in item.get("review", ""))
            want = _expected(row, order)
            if want is None:
                continue
            stated += 1
            if item is not None:
                right += (item["required_from"], item.get("required_until")) == want
    return DocumentAgreement(name, rows, len(items), right, stated, said, read)

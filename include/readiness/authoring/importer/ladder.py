"""The levels of an imported Markdown checklist, as the document means them: named by its
table headers or its ``Level`` column, ordered by ``--levels``, by a levels page (``| A |
> 99.9% |``), or by what the ticks imply; and each row's span of levels."""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import permutations
from typing import Any

from readiness.authoring.importer.forms import LevelColumn, MarkdownDocument


class ImportProblem(ValueError):
    """What was asked cannot be done with these documents (an unknown level): one message,
    naming the documents, not one error per item."""


@dataclass(frozen=True)
class Ladder:
    levels: list[dict[str, Any]]
    #: How the order was decided, for the notes; ``guessed`` marks it for review.
    how: str
    guessed: bool

    @property
    def ids(self) -> list[str]:
        return [lv["id"] for lv in self.levels]


def _match(wanted: str, known: list[LevelColumn]) -> LevelColumn | None:
    key = wanted.strip().lower()
    for level in known:
        names = {level.id.lower(), level.name.lower(), re.sub(r"^level\s+", "", level.name.lower())}
        if key in names:
            return level
    return None


def _upward_closed(order: list[str], rows: list[tuple[str, ...]]) -> int:
    """Rows whose ticks are one run of levels ending at the top, in this order."""
    score = 0
    for ticked in rows:
        if not ticked:
            continue
        ranks = sorted(order.index(t) for t in ticked if t in order)
        if ranks and ranks[-1] == len(order) - 1 and ranks == list(range(ranks[0], len(order))):
            score += 1
    return score


def _number(text: str) -> float | None:
    found = re.search(r"\d+(?:\.\d+)?", text)
    return float(found.group()) if found else None


def ladder(docs: list[tuple[str, MarkdownDocument]], wanted: list[str] | None) -> Ladder:
    """The levels, lowest first."""
    columns: list[LevelColumn] = []
    values: list[LevelColumn] = []
    rows: dict[str, dict[str, str]] = {}
    texts: dict[str, str] = {}
    pages: list[str] = []
    for name, doc in docs:
        for level in doc.level_columns:
            if all(c.id != level.id for c in columns):
                columns.append(level)
        for level in doc.level_values:
            if all(c.id != level.id for c in values):
                values.append(level)
        if doc.level_rows:
            pages.append(name)
        rows.update({key.lower(): value for key, value in doc.level_rows})
        texts.update({key.lower(): value for key, value in doc.level_text.items()})
    known = columns or values
    names = ", ".join(d for d, _ in docs)
    if wanted:
        if not known:
            order = [LevelColumn(re.sub(r"[^A-Za-z0-9_.-]+", "-", w) or "L", w) for w in wanted]
            if not order[0].id[0].isalpha():
                order = [LevelColumn(f"L{lv.id}", lv.name) for lv in order]
            return Ladder(_entries(order, rows, texts), "as --levels gives them", False)
        matched = [_match(w, known) for w in wanted]
        missing = [w for w, m in zip(wanted, matched, strict=True) if m is None]
        if missing:
            raise ImportProblem(
                f"--levels names {', '.join(repr(m) for m in missing)}, which {names} does not "
                f"have; its levels are {', '.join(lv.name for lv in known)}"
            )
        left = [lv.name for lv in known if lv not in matched]
        if left:
            raise ImportProblem(
                f"--levels leaves out {', '.join(left)}: give every level of {names}, lowest first"
            )
        ordered = [m for m in matched if m is not None]
        return Ladder(_entries(ordered, rows, texts), "as --levels gives them", False)
    if columns:
        numbers = {c.id: _number(" ".join(rows.get(c.id.lower(), {}).values())) for c in columns}
        if all(n is not None for n in numbers.values()) and len(set(numbers.values())) == len(
            columns
        ):
            ordered = sorted(columns, key=lambda c: numbers[c.id] or 0.0)
            how = f"ordered by the levels table in {', '.join(pages)}"
            return Ladder(_entries(ordered, rows, texts), how, False)
        ticks = [item.ticked for _n, d in docs for s in d.sections for item in s.items]
        spans = [t for t in ticks if t is not None]
        ids = [c.id for c in columns]
        best = max(
            permutations(ids) if len(ids) <= 7 else [tuple(ids)],
            key=lambda order: (_upward_closed(list(order), spans), order == tuple(ids)),
        )
        fit = _upward_closed(list(best), spans)
        ordered = [next(c for c in columns if c.id == i) for i in best]
        how = (
            f"inferred from the ticks ({fit} of {sum(1 for s in spans if s)} rows are ticked "
            f"from one level up to the top in this order); pass --levels "
            f"{','.join(c.id for c in ordered)} to confirm"
        )
        return Ladder(_entries(ordered, rows, texts), how, True)
    if values:
        how = (
            "in the order the document first names them (the first is the lowest); pass "
            f"--levels {','.join(v.id for v in values)} to confirm"
        )
        return Ladder(_entries(values, rows, texts), how, True)
    return Ladder(
        [{"id": "READY", "name": "Ready", "description": "every box ticked"}],
        "one level 'READY': the documents name no levels; every item is required for it",
        False,
    )


def _entries(
    order: list[LevelColumn], rows: dict[str, dict[str, str]], texts: dict[str, str]
) -> list[dict[str, Any]]:
    out = []
    for level in order:
        entry: dict[str, Any] = {"id": level.id, "name": level.name}
        row = rows.get(level.id.lower(), {})
        described = texts.get(level.id.lower()) or "; ".join(
            f"{k}: {v}" for k, v in row.items() if v
        )
        if described:
            entry["description"] = described[:400]
        attributes = {
            re.sub(r"[^a-z0-9]+", "_", k.lower()).strip("_"): v for k, v in row.items() if v
        }
        if attributes:
            entry["attributes"] = attributes
        out.append(entry)
    return out


def span(ticked: tuple[str, ...], ids: list[str]) -> tuple[str, str | None, str]:
    """``required_from``, ``required_until`` and a doubt ('' when none) for a row ticked at
    ``ticked``. A row ticked at the lowest level only is required there and no higher; a
    row ticked at no level, or with a gap, is flagged, never dropped."""
    ranks = sorted(ids.index(t) for t in ticked if t in ids)
    top = ids[-1]
    if not ranks:
        return top, None, f"ticked at no level: required from {top} until someone decides"
    low, high = ranks[0], ranks[-1]
    doubt = ""
    if ranks != list(range(low, high + 1)):
        skipped = [ids[r] for r in range(low, high + 1) if r not in ranks]
        doubt = (
            f"ticked at {', '.join(ids[r] for r in ranks)} but not {', '.join(skipped)}: a level "
            f"cannot be skipped, so it is required from {ids[low]} to {ids[high]}"
        )
    return ids[low], (ids[high] if high < len(ids) - 1 else None), doubt

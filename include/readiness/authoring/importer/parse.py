"""A readiness document's structure: levels, sections, items, sign-off roles, with the
line each came from."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from readiness.authoring.importer.model import ImportedItem, ImportedSection
from readiness.authoring.importer.text import (
    html_to_text,
    split_glued,
    table_cells,
    vocabulary_of,
)
from readiness.collectors.recognise import slug

_SECTION = re.compile(r"^\s*(\d+)\.\s+(\S.*?)\s*$")
_LEVEL = re.compile(r"^\s*(L\d+)\s*[—–-]\s*(.+?)\s*$")
_ITEM_ID = re.compile(r"^([A-Z]{1,4}\d{1,3})(?=[^\d])(.*)$")
_BULLET = re.compile(r"^(\s*)(?:[•◦▪*-]|\d+\))\s+(.*\S)\s*$")
_SIGNOFF = re.compile(r"^\s*(?:[•*-]\s*)?(Final [\w ]*sign-off|Sign-off)\s*:\s*(.+?)\s*$", re.I)
_TABLE_HEAD = re.compile(r"^\s*\|?\s*#\s*\|?\s*Item", re.I)
_ROLE_HEAD = re.compile(r"^\s*\|?\s*Role\s*\|?\s*Name", re.I)
#: Level names in the seeds' wording, to split "L0 — Devengineers, integration tests".
KNOWN_LEVEL_NAMES = (
    "Development",
    "Dev",
    "Staging",
    "Pilot",
    "Preview",
    "Beta",
    "Alpha",
    "Canary",
    "GA",
    "Production",
    "Prod",
    "Mature",
)
_STOP_WORDS = {"and", "&", "of", "the", "for", "to", "a", "(desktop)"}


def section_prefix(title: str, taken: set[str]) -> str:
    words = [w for w in re.findall(r"[A-Za-z]+", title) if w.lower() not in _STOP_WORDS]
    if words and words[-1].lower() == "readiness" and len(words) > 1:
        words = words[:-1]
    if not words:
        base = "S"
    elif len(words) == 1:
        base = words[0][:3].upper()
    else:
        base = "".join(w[0] for w in words[:3]).upper()
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}{n}", n + 1
    taken.add(candidate)
    return candidate


def _table_item(
    line: str, number: int, vocabulary: Counter[str] | None = None
) -> ImportedItem | None:
    cells = table_cells(line)
    if cells is not None:
        cells = [c for c in cells if c != ""]
        if len(cells) >= 2 and re.fullmatch(r"[A-Z]{1,4}\d{1,3}", cells[0]):
            title = cells[1]
            check = cells[2] if len(cells) > 2 else ""
            evidence = cells[3] if len(cells) > 3 else ""
            return ImportedItem(cells[0], title, number, check=check, evidence_text=evidence)
        return None
    match = _ITEM_ID.match(line.strip())
    if match is None:
        return None
    item_id, rest = match.group(1), match.group(2)
    title, check, evidence, doubtful = split_glued(rest, vocabulary)
    return ImportedItem(
        item_id, title, number, check=check, evidence_text=evidence, split_doubtful=doubtful
    )


def _roles(text: str) -> list[str]:
    text = re.split(r"\(|\.\s", text, maxsplit=1)[0]
    parts = re.split(r"\s*(?:,|\+|\band\b)\s*", text.strip().rstrip("."))
    return [p.strip() for p in parts if p.strip()]


_LEVEL_VALUE = re.compile(
    r"(?:yes|no|n/a|none|shadow|best-effort|tightened|partial|limited)(?: \([^)]*\))?$", re.I
)


def _header_columns(line: str) -> list[str]:
    """A table header's column names, from pipes or, when its cells ran together
    (``LevelAudienceStable allowed?SLO published?On-call?``), where a name ends."""
    cells = table_cells(line)
    if cells is not None:
        return [c for c in cells if c]
    return [c.strip() for c in re.split(r"(?<=[a-z?)])(?=[A-Z])", line.strip()) if c.strip()]


def _level_attributes(columns: list[str], cells: list[str] | None, text: str) -> dict[str, str]:
    """A level row's attributes named by the header (``audience``, ``stable_allowed``, …).
    With real cells they are the cells; run together (``engineers, integration
    testsnon/ano``), the short answers are peeled off the end (``no``, ``n/a``, ``no``) and
    the rest is the first column."""
    names = [slug(c.rstrip("?")) for c in columns[1:]]
    if not names:
        return {}
    if cells is not None:
        values = cells[1 : 1 + len(names)]
        return dict(zip(names, values, strict=False)) if len(values) == len(names) else {}
    rest, peeled = text, list[str]()
    for _ in names[1:]:
        found = _LEVEL_VALUE.search(rest)
        if found is None or found.start() == 0:
            return {}
        peeled.insert(0, found.group())
        rest = rest[: found.start()]
    return dict(zip(names, [rest.strip(), *peeled], strict=True))


_CADENCE_WORDS = r"(?:hourly|daily|nightly|weekly|monthly|quarterly|yearly|annually)\b"


def _property_and_target(text: str) -> tuple[str, str]:
    """A ``Property | Target`` row whose cells ran together: ``RTO (regional)30 min`` →
    ``RTO (regional)``, ``30 min``; ``Backups verifiedweekly restore drill`` → ``Backups
    verified``, ``weekly restore drill`` (a cadence glued to the word before)."""
    cut = re.search(rf"(?<=[a-z)])(?=[0-9≤≥<>(])|(?<=[a-z])(?={_CADENCE_WORDS})", text)
    if cut is None:
        return text, ""
    return text[: cut.start()].strip(), text[cut.start() :].strip()


def _level_name(text: str) -> tuple[str, str]:
    for name in KNOWN_LEVEL_NAMES:
        if text.startswith(name):
            return name, text[len(name) :].strip(" ,—-")
    first, _, rest = text.partition(" ")
    return first, rest


# --------------------------------------------------------------------------- parsing


def parse_document(
    text: str,
) -> tuple[dict[str, Any], list[ImportedSection], list[tuple[int, str]]]:
    """Title, levels and sections of a readiness document, with what could not be placed."""
    if re.search(r"<table\b", text, re.I):
        text = html_to_text(text)
    lines = text.splitlines()
    vocabulary = vocabulary_of(text)
    level_columns: list[str] = []
    notes: list[tuple[int, str]] = []
    meta: dict[str, Any] = {"title": "", "levels": [], "intro": []}
    sections: list[ImportedSection] = []
    current: ImportedSection | None = None
    mode = "prose"  # prose | levels | table | roles | kv
    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip()
        stripped = line.strip()
        if not stripped or stripped.lower() == "skip to main content":
            continue
        if not meta["title"]:
            meta["title"] = stripped
            continue
        heading = _SECTION.match(line)
        if heading and not _BULLET.match(line):
            current = ImportedSection(heading.group(1), heading.group(2), number)
            sections.append(current)
            mode = "levels" if "level" in heading.group(2).lower() else "prose"
            continue
        if current is None:
            meta["intro"].append(stripped)
            continue
        if mode == "levels":
            level = _LEVEL.match(stripped.lstrip("| "))
            if level:
                cells = table_cells(level.group(2))
                name, description = (
                    (cells[0], ", ".join(cells[1:2])) if cells else _level_name(level.group(2))
                )
                entry: dict[str, Any] = {
                    "id": level.group(1),
                    "name": name,
                    "line": number,
                    "description": description,
                }
                attributes = _level_attributes(level_columns, cells, description)
                if attributes:
                    entry["description"] = next(iter(attributes.values()))
                    entry["attributes"] = attributes
                meta["levels"].append(entry)
                continue
            if re.match(r"^\|?\s*Level", stripped):
                level_columns = _header_columns(stripped)
                continue
            meta["intro"].append(stripped)
            continue
        signoff = _SIGNOFF.match(line)
        if signoff:
            roles = _roles(signoff.group(2))
            if signoff.group(1).lower().startswith("final"):
                final = ImportedSection(str(len(sections) + 1), signoff.group(1).strip(), number)
                final.roles = roles
                final.items.append(
                    ImportedItem(
                        None,
                        f"{signoff.group(1).strip()}: {' + '.join(roles)}",
                        number,
                        check=signoff.group(2),
                        roles=roles,
                        signoff=True,
                    )
                )
                sections.append(final)
                current = final
            else:
                current.roles = roles
                current.items.append(
                    ImportedItem(
                        None,
                        f"Sign-off: {', '.join(roles)}",
                        number,
                        roles=roles,
                        signoff=True,
                    )
                )
            continue
        if _TABLE_HEAD.match(stripped):
            mode = "table"
            continue
        if _ROLE_HEAD.match(stripped):
            mode = "roles"
            continue
        if re.match(r"^\|?\s*Property\s*\|?\s*Target", stripped):
            mode = "kv"
            continue
        if re.fullmatch(r"\|?[\s|:-]+\|?", stripped):
            continue  # a Markdown table's separator row
        bullet = _BULLET.match(line)
        if bullet:
            indent, body = len(bullet.group(1).expandtabs(4)), bullet.group(2)
            top = current.bullet_indent
            if top is not None and indent > top and current.items and not current.items[-1].signoff:
                parent = current.items[-1]
                parent.check = f"{parent.check}; {body}".strip("; ")
                continue
            current.items.append(ImportedItem(None, body, number))
            current.bullet_indent = indent if top is None else top
            continue
        if mode == "table":
            item = _table_item(line, number, vocabulary)
            if item is not None:
                current.items.append(item)
                continue
        if mode == "roles" and len(stripped) < 60 and not stripped.endswith("."):
            role = table_cells(stripped)
            name = role[0] if role else stripped
            current.roles.append(name)
            current.items.append(
                ImportedItem(
                    None,
                    f"Sign-off: {name}",
                    number,
                    roles=[name],
                    signoff=True,
                    numbered_signoff=True,
                )
            )
            continue
        if mode == "kv" and len(stripped) < 80:
            cells = table_cells(stripped)
            if cells:
                title, target = cells[0], " ".join(c for c in cells[1:] if c)
            else:
                title, target = _property_and_target(stripped)
            current.items.append(
                ImportedItem(
                    None,
                    title,
                    number,
                    check=target,
                    split_doubtful=cells is None and not target,
                )
            )
            continue
        notes.append((number, f"not an item, left out: {stripped[:100]}"))
    for section in sections:
        if not section.items and "level" not in section.title.lower():
            notes.append((section.line, f"section {section.number} {section.title!r} has no items"))
    return meta, sections, notes


# --------------------------------------------------------------------------- mapping

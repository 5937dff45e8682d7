"""The checklist YAML of a document: structure, evidence and levels put together."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from readiness.authoring.importer.forms import is_markdown, read_markdown
from readiness.authoring.importer.ladder import ImportProblem, Ladder, ladder, span
from readiness.authoring.importer.map import evidence_for, required_from_title
from readiness.authoring.importer.model import (
    ImportedItem,
    ImportedSection,
    ImportResult,
    empty_levels_warning,
)
from readiness.authoring.importer.parse import parse_document, section_prefix
from readiness.collectors.recognise import max_age_of, percent_threshold, slug


def import_checklist(
    text: str, source: str, required_from: str | None = None, levels: list[str] | None = None
) -> ImportResult:
    """One document, in whichever form it is written."""
    return import_documents([Document(source, text)], required_from, levels)


def _seed_form(document: Document, required_from: str | None) -> ImportResult:
    """The seeds' layouts: numbered sections, ``# Item`` tables, levels tables, sign-offs."""
    text, source = document.text, document.name
    meta, sections, notes = parse_document(text)
    title = meta["title"]
    service = re.split(r"\s+[—–·-]\s+", title)[0].strip()
    levels = meta["levels"]
    if not levels:
        gate = "GA" if re.search(r"\bGA\b|cutover", text) else "READY"
        levels = [
            {
                "id": gate,
                "name": "Production cutover" if gate == "GA" else "Ready",
                "description": "every box ticked and signed off",
                "line": 0,
            }
        ]
        notes.append((0, f"no levels table: one level {gate!r}; every item is required for it"))
    ids = [lv["id"] for lv in levels]
    if required_from is not None and required_from not in ids:
        raise ImportProblem(
            f"--required-from {required_from!r}: {source} has no such level; its levels are "
            f"{', '.join(ids)}"
        )
    target = re.search(r"targets?\s+(L\d+)\s*(?:→|->)\s*(L\d+)", " ".join(meta["intro"]))
    default_level = required_from or (
        target.group(2) if target and target.group(2) in ids else ids[-1]
    )
    taken: set[str] = set()
    used_ids: set[str] = set()
    out_sections: list[dict[str, Any]] = []
    count = review = 0
    for section in sections:
        if not section.items:
            continue
        prefix = section_prefix(section.title, taken)
        level = required_from_title(section.title, levels, default_level)
        items: list[dict[str, Any]] = []
        numbered = 0
        for item in section.items:
            if item.id and item.id not in used_ids:
                item_id = item.id
            else:
                if item.id:
                    notes.append((item.line, f"duplicate item id {item.id!r}: renumbered"))
                if item.signoff and not item.numbered_signoff:
                    item_id = f"{prefix}-SO"
                else:
                    numbered += 1
                    item_id = f"{prefix}{numbered}"
                while item_id in used_ids:
                    item_id += "X"
            used_ids.add(item_id)
            evidence, why = evidence_for(item, section.roles)
            if item.split_doubtful and not why:
                why = "the document's table cells ran together: check the title and the check"
            entry: dict[str, Any] = {"id": item_id, "title": item.title}
            check = " ".join(p for p in (item.check, item.evidence_text) if p)
            if check:
                entry["check"] = check
            entry.update(evidence)
            if item.signoff:
                entry["severity"] = "high"
            if why:
                entry["review"] = why
                review += 1
            entry["notes"] = f"{source} line {item.line}"
            items.append(entry)
            count += 1
        block: dict[str, Any] = {
            "id": slug(section.title),
            "title": section.title,
            "required_from": level,
        }
        if section.roles:
            block["signoff_roles"] = section.roles
        block["items"] = items
        out_sections.append(block)
    seen_section_ids: set[str] = set()
    for block in out_sections:
        while block["id"] in seen_section_ids:
            block["id"] += "_2"
        seen_section_ids.add(block["id"])
    checklist: dict[str, Any] = {
        "checklist": slug(f"{service} readiness", "-"),
        "title": f"{service} readiness" if service else "imported readiness checklist",
        "version": "1",
        "source": source,
        "description": " ".join(meta["intro"])[:600],
        "levels": [{k: v for k, v in lv.items() if k != "line" and v != ""} for lv in levels],
        "sections": out_sections,
    }
    used = {
        item["required_from"] if "required_from" in item else block["required_from"]
        for block in out_sections
        for item in block["items"]
    }
    empty = [lv["id"] for lv in levels[:-1] if lv["id"] not in used]
    if empty:
        notes.append((0, f"WARNING: {empty_levels_warning(empty)}"))
    return ImportResult(checklist, sorted(notes), count, review, empty)


def import_file(
    path: Path, required_from: str | None = None, levels: list[str] | None = None
) -> ImportResult:
    return import_checklist(path.read_text(encoding="utf-8"), path.name, required_from, levels)


# --------------------------------------------------------------- Markdown forms, many files


@dataclass(frozen=True)
class Document:
    """One file given to ``import-checklist``: its name as the user gave it, and its text."""

    name: str
    text: str


FILES_AS = ("phases", "sections")


def import_documents(
    documents: list[Document],
    required_from: str | None = None,
    levels: list[str] | None = None,
    files_as: str = "phases",
) -> ImportResult:
    """One checklist from one or more documents. A single document in the seeds' layout is
    read as before; Markdown in the common public forms goes through ``forms``. With
    several files each is a phase (its sections keep their own, prefixed by the phase) or
    one section (``files_as="sections"``)."""
    if len(documents) == 1 and not is_markdown(documents[0].text):
        if levels:
            raise ImportProblem(
                f"--levels is for documents that name their levels in tables; "
                f"{documents[0].name} defines its own levels table"
            )
        return _seed_form(documents[0], required_from)
    for doc in documents:
        if not is_markdown(doc.text):
            raise ImportProblem(
                f"{doc.name} is in the seeds' numbered layout: import it on its own"
            )
    read = [(doc.name, read_markdown(doc.text)) for doc in documents]
    steps = ladder(read, levels)
    ids = steps.ids
    if required_from is not None and required_from not in ids:
        raise ImportProblem(
            f"--required-from {required_from!r}: {', '.join(d.name for d in documents)} has no "
            f"such level; its levels are {', '.join(ids)}"
        )
    notes: list[tuple[int, str]] = []
    for name, page in read:
        items = sum(len(section.items) for section in page.sections)
        if not items and (page.level_rows or page.level_text):
            notes.append((0, f"{name}: read as the levels page: {len(page.level_rows)} level(s)"))
            continue
        notes.extend((line, f"{name}:{line}: {text}") for line, text in page.notes)
    notes.append((0, f"levels {' < '.join(ids)}: {steps.how}"))
    phased = len(read) > 1
    blocks: list[dict[str, Any]] = []
    entries: list[tuple[dict[str, Any], str]] = []  # (entry, candidate id)
    counts = {"guessed": 0, "thresholds": 0, "levels": 0, "no_level": 0}
    for name, page in read:
        phase = _phase_name(page.title or name)
        file_block: dict[str, Any] | None = None
        if phased and files_as == "sections":
            file_block = {"id": slug(phase), "title": phase, "items": []}
            blocks.append(file_block)
        for section in page.sections:
            if not section.items:
                continue
            prefix = _stable_prefix(section.title)
            if phased:
                prefix = f"{_stable_prefix(phase)}-{prefix}"
            block = file_block
            if block is None:
                title = f"{phase}: {section.title}" if phased else section.title
                block = {"id": slug(title), "title": title}
                if section.description:
                    block["description"] = section.description[:300]
                block["items"] = []
                blocks.append(block)
            for item in section.items:
                entry = _markdown_item(item, section, steps, required_from, counts)
                entry["notes"] = f"{name} line {item.line}" + entry.get("notes", "")
                block["items"].append(entry)
                candidate = item.id or f"{prefix}-{_name_slug(item.title)}"
                entries.append((entry, candidate))
    _assign_ids(entries, notes)
    review = sum(1 for entry, _c in entries if entry.get("review"))
    if steps.guessed:
        notes.append((0, f"review: the order of the levels was guessed: {steps.how}"))
    title = _checklist_title(read)
    intro = " ".join(read[0][1].intro)
    checklist: dict[str, Any] = {
        "checklist": slug(title, "-"),
        "title": title,
        "version": "1",
        "source": ", ".join(d.name for d in documents),
        "description": intro[:600].rsplit(". ", 1)[0] + "." if len(intro) > 600 else intro,
        "levels": steps.levels,
        "sections": _unique_sections(blocks),
    }
    result = ImportResult(checklist, sorted(notes), len(entries), review)
    result.summary = _summary(len(entries), review, counts, steps)
    return result


def _summary(items: int, review: int, counts: dict[str, int], steps: Ladder) -> str:
    parts = [f"{counts['guessed']} collectors or resources guessed"]
    parts.append(f"{counts['thresholds']} thresholds read from the text")
    if counts["levels"]:
        parts.append(f"{counts['levels']} with levels in doubt")
    if counts["no_level"]:
        parts.append(f"{counts['no_level']} ticked at no level")
    if steps.guessed:
        parts.append("the level order guessed")
    return (
        f"REVIEW: {review} of {items} items need a person before this checklist is trusted "
        f"({'; '.join(parts)}). Each says why under `review:`."
    )


def _markdown_item(
    item: ImportedItem,
    section: ImportedSection,
    steps: Ladder,
    required_from: str | None,
    counts: dict[str, int],
) -> dict[str, Any]:
    ids = steps.ids
    doubts: list[str] = []
    until: str | None = None
    if item.ticked is not None:
        low, until, doubt = span(item.ticked, ids)
        if doubt:
            doubts.append(doubt)
            counts["no_level" if not item.ticked else "levels"] += 1
    elif item.level_value is not None and item.level_value in ids:
        low = item.level_value
    else:
        low = required_from or required_from_title(section.title, steps.levels, ids[-1])
    if item.level_doubt:
        doubts.append(item.level_doubt)
        counts["levels"] += 1
    wording = ImportedItem(item.id, item.title, item.line, check=item.description)
    evidence, why = evidence_for(wording, section.roles)
    if why:
        counts["guessed"] += 1
    read = _thresholds_read(f"{item.title} {item.description}", evidence)
    if read:
        counts["thresholds"] += 1
    entry: dict[str, Any] = {"id": "", "title": item.title}
    if item.description:
        entry["check"] = item.description
    entry["required_from"] = low
    if until:
        entry["required_until"] = until
    entry.update(evidence)
    web = [link for link in item.links if re.match(r"https?://[^\s/]+", link)]
    local = [link for link in item.links if link not in web and not link.startswith("#")]
    if web:
        entry["references"] = web
    why_all = "; ".join(p for p in (*doubts, why, read) if p)
    if why_all:
        entry["review"] = why_all
    if local:
        entry["notes"] = f"; links: {', '.join(local)}"
    return entry


def _thresholds_read(text: str, rule_: dict[str, Any]) -> str:
    """What the text states as a bound or a cadence, and whether the rule took it."""
    said = []
    threshold = percent_threshold(text)
    if threshold is not None:
        wanted = {threshold.percent, round(threshold.percent / 100, 6)}
        used = any(
            v in wanted
            for e in rule_.get("expectations", [])
            for kwargs in e.values()
            if isinstance(kwargs, dict)
            for k, v in kwargs.items()
            if k in ("min_value", "max_value")
        )
        said.append(
            f"threshold {threshold.bound} {threshold.percent:g} % read from the text"
            if used
            else f"the text states a {threshold.bound} of {threshold.percent:g} %: no rule reads it"
        )
    age = max_age_of(text)
    if age is not None and rule_.get("max_age") == age:
        said.append(f"max_age {age} read from the text")
    return "; ".join(said)


_STOP = frozenset({"and", "of", "the", "for", "to", "a", "an", "in", "on", "with", "its", "is"})


def _stable_prefix(title: str) -> str:
    """Initials of a section's title (``Data Storage`` → ``DS``; ``Security`` → ``SEC``):
    from the title alone, so adding a section elsewhere never changes another's ids."""
    words = [w for w in re.findall(r"[A-Za-z0-9]+", title) if w.lower() not in _STOP]
    if not words:
        return "S"
    if len(words) == 1:
        return words[0][:3].upper()
    return "".join(w[0] for w in words[:4]).upper()


def _name_slug(title: str) -> str:
    words = [w for w in re.findall(r"[a-z0-9]+", title.lower()) if w not in _STOP][:5]
    return "-".join(words)[:40].strip("-") or "item"


def _assign_ids(entries: list[tuple[dict[str, Any], str]], notes: list[tuple[int, str]]) -> None:
    """Ids from section and name: inserting a row renumbers nothing. Two rows that would
    share one both get a short hash of their name and description, not a counter."""
    seen: dict[str, int] = {}
    for _entry, candidate in entries:
        seen[candidate] = seen.get(candidate, 0) + 1
    taken: set[str] = set()
    for entry, candidate in entries:
        item_id = candidate
        if seen[candidate] > 1:
            basis = f"{entry['title']}|{entry.get('check', '')}|{entry.get('notes', '')}"
            item_id = f"{candidate}-{hashlib.sha256(basis.encode()).hexdigest()[:4]}"
        while item_id in taken:
            item_id += "x"
        if item_id[0].isdigit():
            item_id = f"I{item_id}"
        taken.add(item_id)
        entry["id"] = item_id
        if item_id != candidate:
            notes.append((0, f"{candidate!r} is shared by {seen[candidate]} rows: {item_id!r}"))


def _unique_sections(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: set[str] = set()
    for block in blocks:
        while block["id"] in seen:
            block["id"] += "_2"
        seen.add(block["id"])
    return [b for b in blocks if b["items"]]


def _checklist_title(read: list[tuple[str, Any]]) -> str:
    """One document: its title (``Gorrion Production Readiness Checklist`` → ``Gorrion
    production readiness``). Several: what they share, else ``Production readiness``."""
    titles = [doc.title or name for name, doc in read]
    if len(titles) == 1:
        base = re.sub(r"\s*check\s*list\s*$", "", titles[0], flags=re.I).strip()
        return base if re.search(r"readiness", base, re.I) else f"{base} readiness"
    return "Production readiness"


def _phase_name(title: str) -> str:
    """``Pre-production Checklist`` → ``Pre-production``."""
    name = re.sub(r"\s*check\s*list\s*$", "", title.strip(), flags=re.I).strip()
    name = re.sub(r"\.(?:md|markdown|txt|html?)$", "", name)
    return name or title

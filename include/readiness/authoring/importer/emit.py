"""The checklist YAML of a document: structure, evidence and levels put together."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from readiness.authoring.importer.map import evidence_for, required_from_title
from readiness.authoring.importer.model import ImportResult, empty_levels_warning
from readiness.authoring.importer.parse import parse_document, section_prefix
from readiness.collectors.recognise import slug


def import_checklist(text: str, source: str, required_from: str | None = None) -> ImportResult:
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


def import_file(path: Path, required_from: str | None = None) -> ImportResult:
    return import_checklist(path.read_text(encoding="utf-8"), path.name, required_from)

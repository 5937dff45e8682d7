"""``readiness import-checklist``: a readiness document as teams write them (seed 004's
numbered sections with ``# Item Status check Evidence`` tables; seed 000's bullet lists
ending in ``Sign-off: …`` lines) turned into checklist YAML that ``readiness check`` accepts.

The document was written for people, so the importer is honest about what it guessed:
- item ids are kept; items without one get ``<SECTION PREFIX><n>`` in document order;
- an item is mapped to a collector only when its evidence text says which (a spec that
  passes in CI, a file committed in the repo, a drill report); every other item becomes an
  attestation by the section's sign-off role(s) and carries ``review:`` saying why;
- tables copied out of a web page lose their cell borders ("D1Bounded context documented…"):
  cells are split where the words visibly change (``documentedSERVICE_OVERVIEW``), and an
  item whose cells could not be told apart is marked for review;
- every line it could not place is reported with its line number; none is dropped silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

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
#: Evidence-column wordings, longest first, to split the glued last cell.
EVIDENCE_WORDS = (
    "unit + integration test green",
    "screenshot in DR runbook",
    "kysely_migrations_log",
    "Pact broker green",
    "PagerDuty schedule",
    "terraform applied",
    "CI check passes",
    "helm get values",
    "sample log line",
    "scraped in dev",
    "this directory",
    "EXPLAIN review",
    "dashboard URL",
    "trace example",
    "runbooks repo",
    "DPA appendix",
    "sample query",
    "alert active",
    "CI artifact",
    "code review",
    "mesh config",
    "screenshot",
    "broker URL",
    "DDL review",
    "dashboard",
    "DPIA doc",
    "this doc",
    "artifact",
    "reviewed",
    "runbook",
    "applied",
    "passes",
    "report",
    "review",
    "config",
    "search",
    "green",
    "check",
    "repo",
    "link",
    "file",
    "scan",
    "dump",
    "code",
    "doc",
)
_SECTION = re.compile(r"^\s*(\d+)\.\s+(\S.*?)\s*$")
_LEVEL = re.compile(r"^\s*(L\d+)\s*[—–-]\s*(.+?)\s*$")
_ITEM_ID = re.compile(r"^([A-Z]{1,4}\d{1,3})(?=[^\d])(.*)$")
_BULLET = re.compile(r"^(\s*)(?:[•◦▪*-]|\d+\))\s+(.*\S)\s*$")
_SIGNOFF = re.compile(r"^\s*(?:[•*-]\s*)?(Final [\w ]*sign-off|Sign-off)\s*:\s*(.+?)\s*$", re.I)
_TABLE_HEAD = re.compile(r"^\s*\|?\s*#\s*\|?\s*Item", re.I)
_ROLE_HEAD = re.compile(r"^\s*\|?\s*Role\s*\|?\s*Name", re.I)
_STOP_WORDS = {"and", "&", "of", "the", "for", "to", "a", "(desktop)"}


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


@dataclass
class ImportedSection:
    number: str
    title: str
    line: int
    items: list[ImportedItem] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    #: Indentation of the section's top-level bullets; deeper ones belong to the item above.
    bullet_indent: int | None = None


@dataclass
class ImportResult:
    checklist: dict[str, Any]
    #: (line, message): what could not be parsed or was guessed.
    notes: list[tuple[int, str]]
    items: int
    review: int

    def yaml(self, source: str) -> str:
        header = (
            f"# Imported from {source} by `readiness import-checklist`: {self.items} items, "
            f"{self.review} marked `review:`\n"
            "# (no collector could be chosen from the document: attested by the section's\n"
            "# sign-off role until someone maps them). Check the levels each item is required\n"
            "# from, then run `readiness check`.\n"
        )
        return header + yaml.dump(
            self.checklist, Dumper=_PlainDumper, sort_keys=False, allow_unicode=True, width=100
        )


class _PlainDumper(yaml.SafeDumper):
    """No ``&id001`` anchors: the YAML is for people to edit."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def slug(text: str, sep: str = "_") -> str:
    words = re.findall(r"[a-z0-9]+", text.lower())
    return sep.join(words) or "section"


def _prefix(title: str, taken: set[str]) -> str:
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


def _cells(text: str) -> list[str] | None:
    """Real table cells (pipes or tabs), when the document kept them."""
    if "|" in text:
        return [c.strip() for c in text.strip().strip("|").split("|")]
    if "\t" in text:
        return [c.strip() for c in text.split("\t")]
    return None


def _split_glued(rest: str) -> tuple[str, str, str, bool]:
    """``Bounded context documentedSERVICE_OVERVIEW exists…services/…`` → title, check,
    evidence, doubtful. The title ends at the first place a lower-case word runs into an
    upper-case or path token; the evidence is a known wording glued to the end."""
    evidence = ""
    for word in EVIDENCE_WORDS:
        if rest.endswith(word) and len(rest) > len(word):
            before = rest[: -len(word)]
            if before and not before.endswith(" "):
                evidence, rest = word, before
                break
    glued = _glued_word_boundary(rest)
    boundary = re.search(r"(?<=[a-z0-9)%\]])(?=[A-Z`<][A-Za-z_`<])", rest)
    if glued is not None and (boundary is None or glued < boundary.start()):
        return rest[:glued].strip(), rest[glued:].strip(), evidence, not evidence
    if boundary is None:
        return rest.strip(), "", evidence, True
    # a lower→upper change inside a CamelCase identifier is not a cell border
    start = boundary.start()
    word_start = rest.rfind(" ", 0, start) + 1
    if start - word_start <= 2 or (
        rest[word_start].isupper() and not rest[word_start:start].isupper()
    ):
        later = re.search(r"(?<=[a-z0-9)%])(?=[A-Z][A-Za-z_])", rest[start + 1 :])
        if later is None:
            return rest.strip(), "", evidence, True
        start = start + 1 + later.start()
    return rest[:start].strip(), rest[start:].strip(), evidence, not evidence


_ENDINGS = ("ed", "ly", "es", "ts", "rs", "nt", "ing", "ion")


def _glued_word_boundary(text: str) -> int | None:
    """Where an English word runs into a file or code name inside one token
    (``testedtenant-isolation.spec.ts``, ``existsservices/…``): the word ends in a common
    ending, and what follows starts with a lower-case word and looks like a path or a file.
    The longest such word wins (``tested``, not ``tes``)."""
    for token in re.finditer(r"\S+", text):
        word = token.group()
        cuts = [
            cut
            for cut in range(4, len(word) - 3)
            if word[:cut].isalpha()
            and word[:cut].islower()
            and word[:cut].endswith(_ENDINGS)
            and re.match(r"[a-z]{3,}(?![A-Z])", word[cut:])
            and re.search(r"[./_]|-\w{3,}", word[cut:])
        ]
        if cuts:
            return token.start() + max(cuts)
    return None


def _table_item(line: str, number: int) -> ImportedItem | None:
    cells = _cells(line)
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
    title, check, evidence, doubtful = _split_glued(rest)
    return ImportedItem(
        item_id, title, number, check=check, evidence_text=evidence, split_doubtful=doubtful
    )


def _roles(text: str) -> list[str]:
    text = re.split(r"\(|\.\s", text, maxsplit=1)[0]
    parts = re.split(r"\s*(?:,|\+|\band\b)\s*", text.strip().rstrip("."))
    return [p.strip() for p in parts if p.strip()]


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
    lines = text.splitlines()
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
                cells = _cells(level.group(2))
                name, description = (
                    (cells[0], ", ".join(cells[1:2])) if cells else _level_name(level.group(2))
                )
                meta["levels"].append(
                    {"id": level.group(1), "name": name, "line": number, "description": description}
                )
                continue
            if re.match(r"^\|?\s*Level", stripped):
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
            item = _table_item(line, number)
            if item is not None:
                current.items.append(item)
                continue
        if mode == "roles" and len(stripped) < 60 and not stripped.endswith("."):
            role = _cells(stripped)
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
            cells = _cells(stripped)
            title = (
                " ".join(cells) if cells else re.sub(r"(?<=[a-z)])(?=[0-9≤≥<>(])", " ", stripped)
            )
            current.items.append(ImportedItem(None, title, number, split_doubtful=cells is None))
            continue
        notes.append((number, f"not an item, left out: {stripped[:100]}"))
    for section in sections:
        if not section.items and "level" not in section.title.lower():
            notes.append((section.line, f"section {section.number} {section.title!r} has no items"))
    return meta, sections, notes


# --------------------------------------------------------------------------- mapping


def _paths(text: str) -> list[str]:
    found = re.findall(
        r"(?<![\w/])((?:[\w.\-*]+/)+[\w.\-*]*|[\w\-]+\.(?:md|ya?ml|json|ts|tf))", text
    )
    return [p for p in dict.fromkeys(found) if not p.startswith("http")]


def _spec_file(text: str) -> str | None:
    match = re.search(r"([\w\-./]+\.(?:spec|e2e\.spec|test)\.[jt]s)", text)
    return match.group(1) if match else None


def evidence_for(item: ImportedItem, section_roles: list[str]) -> tuple[dict[str, Any], str]:
    """The item's evidence and expectations, and why it needs review ('' when it does not)."""
    text = f"{item.title} {item.check} {item.evidence_text}"
    lowered = text.lower()
    spec = _spec_file(text)
    if item.signoff:
        return _attested(item.roles or section_roles), ""
    if spec or re.search(r"\bpasses\b|\bgreen\b|\bci (check|gate)\b", lowered):
        check = slug(spec.rsplit("/", 1)[-1].split(".")[0] if spec else item.id or item.title, "-")
        return {
            "evidence": {
                "kind": "document",
                "params": {"document": "ci_check", "where": {"check": check}, "latest": True},
            },
            "expectations": [
                {"expect_column_values_to_be_in_set": {"column": "status", "value_set": ["passed"]}}
            ],
            "max_age": "14d",
        }, ""
    if re.search(r"drill|game[- ]?day|failover", lowered):
        kind = (
            "game_day"
            if "game" in lowered
            else "dr_failover"
            if "failover" in lowered
            else "backup_restore"
        )
        return {
            "evidence": {
                "kind": "document",
                "params": {"document": "drill_report", "where": {"kind": kind}, "latest": True},
            },
            "expectations": [
                {
                    "expect_column_values_to_be_in_set": {
                        "column": "outcome",
                        "value_set": ["passed"],
                    }
                }
            ],
            "max_age": "180d",
        }, ""
    paths = _paths(text)
    if paths and re.search(r"exist|commit|present|\brepo\b|\bfile\b|\bdoc\b|published", lowered):
        return {
            "evidence": {"kind": "repo_files", "params": {"paths": paths}},
            "expectations": [
                {"expect_column_values_to_be_in_set": {"column": "exists", "value_set": [True]}}
            ],
        }, ""
    roles = section_roles or ["Service owner"]
    what = item.evidence_text or item.check or "the document names no evidence"
    return _attested(roles), f"no collector for {what!r}; attested by {', '.join(roles)}"


def _attested(roles: list[str]) -> dict[str, Any]:
    return {
        "evidence": {"kind": "attestation", "params": {"roles": roles}},
        "expectations": [{"expect_column_values_to_not_be_null": {"column": "signer"}}],
    }


def _required_from(title: str, levels: list[dict[str, Any]], default: str) -> str:
    for level in levels:
        if re.search(rf"\b{re.escape(level['id'])}\b", title):
            return str(level["id"])
    for level in levels:
        if re.search(rf"\b{re.escape(level['name'])}\b", title.split("(")[0]):
            return str(level["id"])
    return default


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
        prefix = _prefix(section.title, taken)
        level = _required_from(section.title, levels, default_level)
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
    return ImportResult(checklist, sorted(notes), count, review)


def import_file(path: Path, required_from: str | None = None) -> ImportResult:
    return import_checklist(path.read_text(encoding="utf-8"), path.name, required_from)

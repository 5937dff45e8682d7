"""The common public forms of a readiness checklist in Markdown, beside the seeds' layouts:
``#``–``######`` headings (emoji and all) as sections; pipe tables with one column per level,
ticked where the check is required (``✅``, ``:white_check_mark:``, ``x``, ``yes`` …), or one
``Level``/``Priority`` column naming it; bullet and task lists (``- [ ]``).

Names come out clean (links, emphasis, emoji and HTML stripped); each link is kept with
the item. Every line that is neither prose, a heading, an item nor table furniture is
reported with its line number."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from readiness.authoring.importer.model import ImportedItem, ImportedSection

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_LIST = re.compile(r"^(\s*)(?:[-*+]|\d+[.)])\s+(?:\[(?P<box>[ xX])\]\s+)?(?P<body>\S.*)$")
_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?\s*$")
_OWN_ID = re.compile(r"^([A-Z]{1,5}-?\d{1,3}(?:\.\d{1,2})?)[:.)\s]\s*(\S.*)$")
#: Cells that mean "required at this level", and cells that mean "not required".
TICKS = frozenset(
    {"✓", "✔", "✔️", "✅", "☑", "☑️", "x", "yes", "y", "true", "required", "req", "●", "■"}
)
TICK_CODES = frozenset(
    {":white_check_mark:", ":heavy_check_mark:", ":ballot_box_with_check:", ":check:", ":o:"}
)
BLANKS = frozenset(
    {"", "-", "–", "—", "no", "n", "n/a", "na", "none", "false", "❌", ":x:", "✗", "✘", "optional"}
)
_LEVEL_HEADER = re.compile(r"^(?:level|tier|grade|stage|class)\s+(\S+)$", re.I)
_VALUE_HEADER = re.compile(
    r"^(?:level|priority|tier|importance|required (?:for|at|from)|maturity|severity)$", re.I
)
_NAME_HEADER = re.compile(r"\b(?:name|check|item|requirement|title|control|criteri|what)", re.I)
_DESCRIPTION_HEADER = re.compile(
    r"\b(?:desc|detail|comment|note|why|how|rationale|explanation|definition)", re.I
)
_ID_HEADER = re.compile(r"^(?:id|#|ref|no\.?|number)$", re.I)
#: Headings whose lists are not checks: navigation and reading lists.
_NOT_CHECKS = re.compile(
    r"^(?:table of contents|contents|toc|references?|links|see also|further reading|"
    r"bibliography|resources|changelog|license|contributing|credits|acknowledg\w*)$",
    re.I,
)
_EMOJI = re.compile(
    "[\U0001f000-\U0001faff\U00002600-\U000027bf\U0001f1e6-\U0001f1ff\ufe0f\u200d\u2b50\u2b55]"
)


@dataclass
class LevelColumn:
    """A level a document names in a table header (``Level C``) or as a cell value."""

    id: str
    name: str


@dataclass
class MarkdownDocument:
    title: str
    sections: list[ImportedSection]
    notes: list[tuple[int, str]]
    #: Levels named by tick-column headers, in the order the headers give them.
    level_columns: list[LevelColumn] = field(default_factory=list)
    #: Levels named by a ``Level``/``Priority`` column's values, in order of appearance.
    level_values: list[LevelColumn] = field(default_factory=list)
    #: Tables that list levels (``| A | > 99.9% |``): id → {column: value}, in page order.
    level_rows: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    #: A level's description from a heading that names it (``## :star2: Level A``).
    level_text: dict[str, str] = field(default_factory=dict)
    intro: list[str] = field(default_factory=list)


_SEED_FORM = re.compile(
    r"^\s*\|?\s*#\s*\|?\s*Item|^\s*\|?\s*L\d+\s*[—–-]\s|^\s*(?:[•*-]\s*)?Sign-off\s*:|<table\b",
    re.M | re.I,
)


def is_markdown(text: str) -> bool:
    """Markdown in the common public forms: headings (not seed 004's ``#Item`` table heads)
    or pipe tables, and none of the seeds' marks (``# | Item`` tables, ``L0 —`` levels,
    ``Sign-off:`` lines) or HTML tables, which the seeds' reader takes."""
    if _SEED_FORM.search(text):
        return False
    return bool(
        re.search(r"^#{1,6}[ \t]+\S", text, re.M)
        or re.search(r"^\s*\|.*\|\s*\n\s*\|?\s*:?-{2,}", text, re.M)
    )


def clean(text: str) -> tuple[str, list[str]]:
    """Text as a person reads it, and the links it held: ``[Auto Scale](../auto.md)`` →
    ``Auto Scale`` and ``../auto.md``; emphasis, code ticks, emoji and tags dropped."""
    links: list[str] = []

    def keep(match: re.Match[str]) -> str:
        links.append(match.group(2))
        return match.group(1)

    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", text)
    text = re.sub(r"\[([^\]]+)\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)", keep, text)
    text = re.sub(r"<(https?://[^>\s]+)>", lambda m: m.group(1), text)
    links.extend(re.findall(r"https?://[^\s)<>\]\"']+", text))
    text = re.sub(r"</?[A-Za-z][\w-]*(?:\s[^<>]{0,200})?/?>", "", text)  # tags, not "<50% … >80%"
    text = re.sub(r":[a-z0-9_+\-]{2,40}:", "", text)
    text = _EMOJI.sub("", text)
    text = text.replace("**", "").replace("__", "").replace("`", "")
    text = re.sub(r"(?<![\w*])\*(\S[^*]*?)\*(?![\w*])", r"\1", text)
    text = re.sub(r"(?<![\w])_(\S[^_]*?)_(?![\w])", r"\1", text)
    text = text.replace("\\|", "|")
    return " ".join(text.split()).strip(" -–—:;"), list(dict.fromkeys(links))


def _cells(line: str) -> list[str]:
    body = line.strip()
    if body.startswith("|"):
        body = body[1:]
    if body.endswith("|") and not body.endswith("\\|"):
        body = body[:-1]
    return [c.strip() for c in re.split(r"(?<!\\)\|", body)]


def is_tick(cell: str) -> bool:
    raw = cell.strip()
    if raw.lower() in TICK_CODES:
        return True
    text = _EMOJI.sub("", raw).strip().lower() if raw not in TICKS else raw
    return raw in TICKS or raw.lower() in TICKS or text in TICKS


def is_blank(cell: str) -> bool:
    return cell.strip().lower() in BLANKS


def level_id(label: str) -> str:
    """``Level C`` → ``C``; ``Should have 🟡`` → ``should-have``; ``1`` → ``L1``."""
    text, _links = clean(label)
    head = _LEVEL_HEADER.match(text)
    word = head.group(1) if head else text
    ident = re.sub(r"[^A-Za-z0-9]+", "-", word).strip("-")
    if not head:
        ident = ident.lower()
    if not ident:
        return "L"
    return ident if ident[0].isalpha() else f"L{ident}"


def _split_title(body: str) -> tuple[str, str]:
    """A list item's name and the rest: a leading bold phrase is the name; a long line is
    cut after its first sentence."""
    bold = re.match(r"^\*\*(.+?)\*\*\s*[-–—:.,]?\s*(.*)$", body)
    if bold:
        return bold.group(1), bold.group(2)
    text, _ = clean(body)
    if len(text) <= 100:
        return body, ""
    cut = re.search(r"(?<=[a-z0-9)])(?:\.\s+|\s+[-–—]\s+|:\s+)", body)
    if cut and 12 <= cut.start() <= 140:
        return body[: cut.start()], body[cut.end() :]
    return body, ""


class _Reader:
    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.doc = MarkdownDocument("", [], [])
        self.current: ImportedSection | None = None
        self.skipping = False
        self.heading_level = 0
        listed = (_LIST.match(raw) for raw in lines)
        self.has_tasks = any(m is not None and m.group("box") is not None for m in listed)
        self.last_heading = ""
        self.parents: list[tuple[int, ImportedItem]] = []

    # ------------------------------------------------------------------ sections
    def heading(self, number: int, depth: int, raw: str) -> None:
        title, _links = clean(raw)
        self.parents = []
        if not self.doc.title and depth == 1:
            self.doc.title = title
            return
        self.last_heading = title
        self.skipping = bool(_NOT_CHECKS.match(title))
        self.current = ImportedSection(str(len(self.doc.sections) + 1), title or "Section", number)
        self.heading_level = depth
        if not self.skipping:
            self.doc.sections.append(self.current)

    def section(self, number: int) -> ImportedSection:
        if self.current is None:
            self.current = ImportedSection("1", self.doc.title or "Checklist", number)
            self.doc.sections.append(self.current)
        return self.current

    # ------------------------------------------------------------------ tables
    def table(self, start: int) -> int:
        """Read the table whose header is line ``start`` (0-based); return the next line."""
        header = [clean(c)[0] for c in _cells(self.lines[start])]
        rows: list[tuple[int, list[str]]] = []
        end = start + 2
        while end < len(self.lines) and self.lines[end].strip().startswith("|"):
            rows.append((end + 1, _cells(self.lines[end])))
            end += 1
        if self.skipping:
            return end
        roles = self._roles(header, [r for _n, r in rows])
        if roles["levels_table"]:
            self._level_rows(header, rows)
            return end
        section = self.section(start + 1)
        for index in roles["ticks"]:  # a level no row ticks is still a level
            self._column_level(header[index])
        for number, cells in rows:
            if len(cells) != len(header):
                self.doc.notes.append(
                    (
                        number,
                        f"table row has {len(cells)} cells, its header {len(header)}: "
                        "read as far as it goes",
                    )
                )
                cells = (cells + [""] * len(header))[: len(header)]
            name_raw = cells[roles["name"]]
            title, links = clean(name_raw)
            if not title:
                self.doc.notes.append((number, "table row with no name, left out"))
                continue
            described = []
            for index in roles["description"]:
                text, more = clean(cells[index])
                links += more
                if text:
                    described.append(
                        text if index == roles["description"][0] else f"{header[index]}: {text}"
                    )
            own_id = None
            if roles["id"] is not None:
                candidate = clean(cells[roles["id"]])[0]
                own_id = candidate if re.fullmatch(r"[A-Za-z][A-Za-z0-9_.\-]*", candidate) else None
            item = ImportedItem(
                own_id, title, number, description=" — ".join(described), links=links
            )
            if roles["ticks"]:
                item.ticked = tuple(
                    self._column_level(header[i]).id for i in roles["ticks"] if is_tick(cells[i])
                )
                odd = [
                    cells[i]
                    for i in roles["ticks"]
                    if not is_tick(cells[i]) and not is_blank(cells[i])
                ]
                if odd:
                    item.level_doubt = f"level cells {odd} are neither a tick nor blank"
            elif roles["value"] is not None:
                value = clean(cells[roles["value"]])[0]
                if value:
                    level = LevelColumn(level_id(value), value)
                    if all(lv.id != level.id for lv in self.doc.level_values):
                        self.doc.level_values.append(level)
                    item.level_value = level.id
            section.items.append(item)
        return end

    def _column_level(self, header: str) -> LevelColumn:
        level = LevelColumn(level_id(header), header)
        if all(lv.id != level.id for lv in self.doc.level_columns):
            self.doc.level_columns.append(level)
        return level

    def _roles(self, header: list[str], rows: list[list[str]]) -> dict[str, Any]:
        def column(index: int) -> list[str]:
            return [r[index] for r in rows if index < len(r)]

        ticks = [
            i
            for i, h in enumerate(header)
            if _LEVEL_HEADER.match(h)
            or (
                i > 0
                and column(i)
                and all(is_tick(c) or is_blank(c) for c in column(i))
                and any(is_tick(c) for c in column(i))
            )
        ]
        value = next(
            (i for i, h in enumerate(header) if _VALUE_HEADER.match(h) and i not in ticks), None
        )
        ident = next((i for i, h in enumerate(header) if _ID_HEADER.match(h)), None)
        rest = [i for i in range(len(header)) if i not in ticks and i != value and i != ident]
        name = next((i for i in rest if _NAME_HEADER.search(header[i])), rest[0] if rest else 0)
        description = [i for i in rest if i != name]
        description.sort(key=lambda i: 0 if _DESCRIPTION_HEADER.search(header[i]) else 1)
        first = [clean(r[0])[0] for r in rows if r]
        levels_table = bool(
            not ticks
            and header
            and re.search(r"\blevels?\b", header[0], re.I)
            and first
            and all(len(f) <= 24 for f in first)
        )
        return {
            "ticks": ticks,
            "value": value,
            "id": ident,
            "name": name,
            "description": description,
            "levels_table": levels_table,
        }

    def _level_rows(self, header: list[str], rows: list[tuple[int, list[str]]]) -> None:
        for _number, cells in rows:
            attributes = {
                header[i]: clean(c)[0] for i, c in enumerate(cells[1:], start=1) if i < len(header)
            }
            self.doc.level_rows.append((level_id(cells[0]), attributes))

    # ------------------------------------------------------------------ lists
    def list_item(self, number: int, match: re.Match[str]) -> None:
        indent = len(match.group(1).expandtabs(4))
        body = match.group("body")
        if self.skipping:
            return
        if self.has_tasks and match.group("box") is None:
            if self.parents and indent > self.parents[-1][0]:
                parent = self.parents[-1][1]
                parent.description = f"{parent.description} {clean(body)[0]}".strip()
            else:
                self.doc.notes.append(
                    (
                        number,
                        f"a bullet in a task list, not a task: left out: {clean(body)[0][:80]}",
                    )
                )
            return
        text, links = clean(body)
        if not text or (
            links
            and all(link.startswith("#") for link in links)
            and text == clean(re.sub(r"\(.*?\)", "", body))[0]
        ):
            return  # a table-of-contents entry
        while self.parents and self.parents[-1][0] >= indent:
            self.parents.pop()
        head, rest = _split_title(body)
        title, title_links = clean(head)
        description, more = clean(rest)
        item_id = None
        own = _OWN_ID.match(title)
        if own:  # the document's own id ("OBS5 Alerts are actionable")
            item_id, title = own.group(1), own.group(2)
        if self.parents:
            condition = self.parents[-1][1].title
            description = f"{description} (under: {condition})".strip()
        item = ImportedItem(
            item_id, title, number, description=description, links=title_links + more
        )
        self.section(number).items.append(item)
        self.parents.append((indent, item))

    # ------------------------------------------------------------------ prose
    def prose(self, number: int, line: str) -> None:
        text, _links = clean(line)
        if not text:
            return
        if self.current is None:
            self.doc.intro.append(text)
            return
        level = _LEVEL_HEADER.match(self.last_heading)
        if level and not self.current.items:
            key = level_id(self.last_heading)
            self.doc.level_text[key] = f"{self.doc.level_text.get(key, '')} {text}".strip()
        if not self.current.items and not self.current.description:
            self.current.description = text

    def read(self) -> MarkdownDocument:
        fenced = False
        index = 0
        while index < len(self.lines):
            raw = self.lines[index]
            number = index + 1
            if _FENCE.match(raw):
                fenced = not fenced
                index += 1
                continue
            stripped = raw.strip()
            if fenced or not stripped or stripped.startswith(("<!--", ">")):
                index += 1
                continue
            heading = _HEADING.match(stripped)
            if heading:
                self.heading(number, len(heading.group(1)), heading.group(2))
                index += 1
                continue
            if (
                stripped.startswith("|")
                and index + 1 < len(self.lines)
                and _SEPARATOR.match(self.lines[index + 1])
            ):
                index = self.table(index)
                continue
            if _SEPARATOR.match(stripped) or stripped.startswith("|"):
                self.doc.notes.append(
                    (number, f"table row outside a table, left out: {stripped[:80]}")
                )
                index += 1
                continue
            listed = _LIST.match(raw)
            if listed:
                self.list_item(number, listed)
            else:
                self.prose(number, stripped)
            index += 1
        for section in self.doc.sections:
            if not section.items and not _LEVEL_HEADER.match(section.title):
                self.doc.notes.append((section.line, f"section {section.title!r} has no items"))
        return self.doc


def read_markdown(text: str) -> MarkdownDocument:
    """One Markdown checklist: its title, sections with items, levels it names, notes."""
    return _Reader(text.splitlines()).read()

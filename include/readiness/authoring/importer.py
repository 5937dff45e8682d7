"""``readiness import-checklist``: a readiness document as teams write them (seed 004's
numbered sections with ``# Item Status check Evidence`` tables; seed 000's bullet lists
ending in ``Sign-off: …`` lines) turned into checklist YAML that ``readiness check`` accepts.

The document was written for people, so the importer is honest about what it guessed:
- item ids are kept; items without one get ``<SECTION PREFIX><n>`` in document order;
- the collector is read from what the text says (test specs named as the document names
  them, health endpoints, bucket settings, error budgets, coverage, drills, cadences as
  ``max_age``); whatever it had to guess (a check name, a resource, a pattern) carries
  ``review:`` saying what, and an item with no collector becomes an attestation by the
  section's sign-off role(s), or the role the text names;
- HTML and Markdown pipe tables keep their cells;
- tables copied out of a web page lose their cell borders ("D1Bounded context documented…"):
  cells are split where the words visibly change (``documentedSERVICE_OVERVIEW``), and an
  item whose cells could not be told apart is marked for review;
- every line it could not place is reported with its line number; none is dropped silently.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
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
    #: Levels below the top that no item is required from: a service reaches them with no
    #: evidence at all, which the document almost certainly did not mean.
    empty_levels: list[str] = field(default_factory=list)

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


#: Words a status-check cell of such tables often starts with (a tool, a kind of test).
_CHECK_LEADS = frozenset(
    {
        "unit", "integration", "e2e", "curl", "grep", "manual", "replay", "desktop", "helm",
        "terraform", "bucket", "worker", "doc", "events", "runbook", "runbooks", "report",
        "kubectl", "gcloud", "bq", "psql", "pact", "spectral", "snyk", "trivy",
    }
)  # fmt: skip
_GLUE_ENDINGS = ("ed", "ly", "es", "ts", "ing")


def _glued_words(text: str, vocabulary: Counter[str]) -> int | None:
    """Where two words ran together into one lower-case token (``appliedunit``,
    ``implementedcurl``, ``onlygrep``): a token the document rarely uses, whose left part is
    a word of the document (or ends like one) and whose right part is one too (or is a
    word a check cell starts with). The first such token, after the first word."""
    for token in list(re.finditer(r"\S+", text))[1:]:
        word = re.match(r"[a-z]*", token.group()).group()  # type: ignore[union-attr]
        if len(word) < 6 or vocabulary.get(word, 0) > 2:  # a word the document uses often
            continue
        for cut in range(len(word) - 2, 2, -1):
            left, right = word[:cut], word[cut:]
            if (left in vocabulary or left.endswith(_GLUE_ENDINGS)) and (
                right in _CHECK_LEADS or (len(right) > 3 and right in vocabulary)
            ):
                return token.start() + cut
    return None


def vocabulary_of(text: str) -> Counter[str]:
    """The document's own lower-case words, as they stand between spaces and punctuation,
    with how often each does."""
    return Counter(re.findall(r"(?<![A-Za-z])[a-z]{2,}(?![A-Za-z])", text))


def _split_glued(rest: str, vocabulary: Counter[str] | None = None) -> tuple[str, str, str, bool]:
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
    words = _glued_words(rest, vocabulary) if vocabulary else None
    glued = _glued_word_boundary(rest)
    if words is not None and (glued is None or words < glued):
        glued = words
    # an acronym run into the next cell's word: "approved by the DPOsigned DPIA"
    acronym = re.search(r"(?<![A-Za-z])[A-Z]{3,}(?=[a-z]{3,})", rest)
    if acronym is not None and (glued is None or acronym.end() < glued):
        glued = acronym.end()
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


def _table_item(
    line: str, number: int, vocabulary: Counter[str] | None = None
) -> ImportedItem | None:
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
    title, check, evidence, doubtful = _split_glued(rest, vocabulary)
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
    cells = _cells(line)
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


def _level_name(text: str) -> tuple[str, str]:
    for name in KNOWN_LEVEL_NAMES:
        if text.startswith(name):
            return name, text[len(name) :].strip(" ,—-")
    first, _, rest = text.partition(" ")
    return first, rest


# --------------------------------------------------------------------------- parsing


class _HtmlText(HTMLParser):
    """An HTML readiness page as the plain text the parser reads: each table row becomes a
    pipe row (``| D1 | Bounded context documented | … |``), headings, paragraphs and list
    items one line each. Cell borders survive, so nothing runs together."""

    BLOCKS = frozenset({"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "br", "section"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self._text: list[str] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self._flush()
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag in self.BLOCKS:
            self._flush()
            if tag == "li":
                self._text.append("- ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.lines.append("| " + " | ".join(self._row) + " |")
            self._row = None
        elif tag in self.BLOCKS:
            self._flush()

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        elif self._row is None:
            self._text.append(data)

    def _flush(self) -> None:
        line = " ".join("".join(self._text).split())
        if line and line != "-":
            self.lines.append(line)
        self._text = []

    def close(self) -> None:
        super().close()
        self._flush()


def html_to_text(text: str) -> str:
    parser = _HtmlText()
    parser.feed(text)
    parser.close()
    return "\n".join(parser.lines) + "\n"


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
                cells = _cells(level.group(2))
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


_SPEC_FILE = re.compile(r"(?<![\w/])([\w\-./]*[\w\-]+\.(?:e2e\.spec|spec|test|e2e)\.[jt]sx?)\b")
#: Cadences and durations in the text → ``max_age`` (the newest evidence may be this old).
_CADENCES = (
    (re.compile(r"\bdaily\b|\bevery day\b|\bnightly\b", re.I), "1d"),
    (re.compile(r"\bweekly\b|\bevery week\b", re.I), "8d"),
    (re.compile(r"\bmonthly\b|\bevery month\b", re.I), "31d"),
    (re.compile(r"\bquarterly\b|\b(?:every|each|per|last) quarter\b", re.I), "92d"),
    (re.compile(r"\byearly\b|\bannual(?:ly)?\b|\bevery year\b", re.I), "366d"),
)
_WITHIN = re.compile(
    r"\b(?:within|in the last|last|every|at most|≤)\s+(\d+)\s*(day|week|month)", re.I
)
#: Roles named in the text: "approved by product owner", "signed by the SRE lead".
_BY_ROLE = re.compile(
    r"\b(?:approved|signed(?: off)?|reviewed|accepted|attested)\s+by\s+(?:the\s+)?"
    r"([A-Za-z][\w /&-]{1,40}?)(?=[.;,)]|\s+(?:and|before|after|in|on|for)\b|$)",
    re.I,
)
_NOT_ROLE = frozenset({"review", "reviewed", "doc", "signature", "sign-off", "approval", "report"})
#: System words → the ``config_snapshot`` system that records them.
_SYSTEMS = (
    ("terraform", "terraform"),
    ("dashboard", "grafana"),
    ("cloud scheduler", "cloud_scheduler"),
    ("resource limits", "cloud_run"),
    ("resource budgets", "cloud_run"),
    ("helm", "helm"),
    ("pagerduty", "pagerduty"),
    ("grafana", "grafana"),
    ("alert", "alertmanager"),
    ("mesh", "istio"),
    ("istio", "istio"),
    ("cloud sql", "cloud_sql"),
    ("pitr", "cloud_sql"),
    ("cloud run", "cloud_run"),
    ("k8s", "cloud_run"),
    ("canary", "cloud_deploy"),
    ("rollback", "cloud_deploy"),
)


def spec_files(text: str) -> list[str]:
    """Every test spec the text names, as it names them (``IdempotencyMiddleware.spec.ts``)."""
    return list(dict.fromkeys(m.group(1) for m in _SPEC_FILE.finditer(text)))


def max_age_of(text: str) -> str | None:
    """A duration or cadence the text states ("within 90 days", "weekly"), as a max_age."""
    found = _WITHIN.search(text)
    if found:
        n, unit = int(found.group(1)), found.group(2).lower()
        return f"{n * {'day': 1, 'week': 7, 'month': 31}[unit]}d"
    for pattern, age in _CADENCES:
        if pattern.search(text):
            return age
    return None


def roles_named(text: str) -> list[str]:
    """Roles the text says approve or sign ("approved by product owner" → Product owner)."""
    roles = []
    for match in _BY_ROLE.finditer(text):
        words = match.group(1).split()
        while words and words[-1].lower() in _NOT_ROLE:  # the glued evidence cell
            words.pop()
        role = " ".join(words[:4]).strip(" -")
        if role:
            roles.append(role[0].upper() + role[1:])
    return list(dict.fromkeys(roles))


def _rule(
    kind: str, params: dict[str, Any], expectations: list[dict[str, Any]], max_age: str | None
) -> dict[str, Any]:
    out: dict[str, Any] = {"evidence": {"kind": kind, "params": params}}
    out["expectations"] = expectations
    if max_age:
        out["max_age"] = max_age
    return out


def _in_set(column: str, values: list[Any]) -> dict[str, Any]:
    return {"expect_column_values_to_be_in_set": {"column": column, "value_set": values}}


def _ci(checks: list[str], stated: str | None) -> dict[str, Any]:
    """The newest CI result of each named check passed (all of them there)."""
    if len(checks) == 1:
        return _rule(
            "document",
            {"document": "ci_check", "where": {"check": checks[0]}, "latest": True},
            [_in_set("status", ["passed"])],
            stated or "14d",
        )
    return _rule(
        "document",
        {"document": "ci_check", "where": {"check": checks}, "latest_by": "check"},
        [
            {"expect_table_row_count_to_be_between": {"min_value": len(checks)}},
            _in_set("status", ["passed"]),
        ],
        stated or "14d",
    )


def evidence_for(item: ImportedItem, section_roles: list[str]) -> tuple[dict[str, Any], str]:
    """The item's evidence and expectations, and why it needs review ('' when it does not).

    Only what the text says is used: a check is named as the document names it, and
    anything guessed (a check name made from the title, a recorded resource, a pattern)
    carries ``review:`` saying so."""
    text = f"{item.title} {item.check} {item.evidence_text}"
    lowered = text.lower()
    stated = max_age_of(text)
    if item.signoff:
        return _attested(item.roles or section_roles), ""
    named_roles = roles_named(item.title) or roles_named(text)
    specs = spec_files(text)
    if specs:
        return _ci(specs, stated), ""
    if re.search(
        r"/healthz|/readyz|/livez|curl\b.*\b200\b|returns 200|health and readiness probes", lowered
    ):
        urls = [
            f"${{locations.base_url}}{u}" for u in re.findall(r"/(?:healthz|readyz|livez)", text)
        ]
        urls = urls or ["${locations.base_url}/healthz"]
        return _rule(
            "http_probe",
            {"urls": urls},
            [_in_set("status_code", [200])],
            stated or "1d",
        ), ""
    if "/metrics" in lowered or "prometheus" in lowered:
        return _rule(
            "http_probe",
            {"urls": "${locations.base_url}/metrics", "metrics": []},
            [{"expect_column_values_to_be_between": {"column": "metrics_missing", "max_value": 0}}],
            stated or "1d",
        ), "list the metric families the document requires in metrics:"
    if re.search(r"error[- ]budget|budget (remaining|unburned)|\bburn rate", lowered):
        return _rule(
            "slo_budget",
            {"slo": "availability", "window": "28d"},
            [
                {
                    "expect_column_values_to_be_between": {
                        "column": "budget_remaining",
                        "min_value": 0.5,
                    }
                }
            ],
            stated or "1d",
        ), "which SLO and what budget: the document's threshold was not read"
    if re.search(
        r"\bcoverage\b.*(?:≥|>=|>|\d+\s*%)|(?:≥|>=|>)\s*\d+\s*%.*coverage|coverage report", lowered
    ):
        threshold = re.search(r"(?:≥|>=|>)\s*(\d+)\s*%", text)
        minimum = int(threshold.group(1)) / 100 if threshold else 0.8
        return _rule(
            "coverage_report",
            {"prefixes": ["src/"]},
            [{"expect_column_values_to_be_between": {"column": "line_rate", "min_value": minimum}}],
            stated or "14d",
        ), "which path prefixes the coverage is measured on"
    if re.search(
        r"bucket lock|retention (?:policy|lock)|bucket (?:region|location)|residency|\bcmek\b|"
        r"\bbucket\b",
        lowered,
    ):
        if "cmek" in lowered or "encryption" in lowered:
            expectation = {"expect_column_values_to_not_be_null": {"column": "default_kms_key"}}
        elif "lock" in lowered:
            expectation = _in_set("retention_locked", [True])
        elif re.search(r"region|location|residency", lowered):
            expectation = _in_set("location", ["EUROPE-WEST1"])
        else:
            expectation = {
                "expect_column_values_to_not_be_null": {"column": "retention_period_days"}
            }
        return _rule(
            "bucket_settings",
            {"buckets": "${locations.bucket}"},
            [expectation],
            stated or "30d",
        ), "which bucket (evidence.locations.bucket) and the value the document requires"
    if re.search(r"bigquery|datastream|freshness", lowered):
        return _rule(
            "bigquery_table",
            {"table": "${locations.table}"},
            [
                {
                    "expect_column_values_to_be_between": {
                        "column": "freshness_lag_minutes",
                        "max_value": 60,
                    }
                }
            ],
            stated or "2d",
        ), "which table (evidence.locations.table) and its freshness bound"
    tool = re.search(r"\(?(?:verified by|checked by|via)\s+([a-z][\w.-]+)\)?", text) or re.search(
        r"\((ts-prune|madge|cosign|spectral|trivy|snyk|semgrep|eslint|depcheck)\)", text
    )
    if tool:
        return _ci([tool.group(1)], stated), ""
    drill_words = (
        r"drill|game[- ]?day|failover|brownout|run-through|(?:rollback|runbook|restore)\b.*\btested"
    )
    if re.search(
        r"\b(?:unit|integration|e2e|replay|chaos|contract|load)?\s*tests?\b", lowered
    ) and not re.search(drill_words, lowered):
        return _ci([slug(item.title, "-")], stated), (
            "CI check name made from the title: use the name CI reports"
        )
    if re.search(drill_words + r"|chaos|exercised", lowered):
        kind = (
            "game_day"
            if "game" in lowered
            else "chaos"
            if "chaos" in lowered or "brownout" in lowered
            else "dr_failover"
            if "failover" in lowered or " dr " in f" {lowered} "
            else "backup_restore"
            if "restore" in lowered or "backup" in lowered
            else "rollback"
            if "rollback" in lowered
            else "runbook_exercise"
        )
        return _rule(
            "document",
            {"document": "drill_report", "where": {"kind": kind}, "latest": True},
            [_in_set("outcome", ["passed"])],
            stated or "180d",
        ), ("" if stated else "how often the drill must run: no cadence in the document")
    registered = re.search(
        r"\b(?:registered|listed|referenced|cross-referenced) (?:in|from) (\S+)", text
    )
    if registered:
        return _rule(
            "repo_grep",
            {
                "pattern": re.escape(item.id or slug(item.title)),
                "paths": [registered.group(1).rstrip(".,;")],
            },
            [{"expect_column_values_to_be_between": {"column": "matches", "min_value": 1}}],
            None,
        ), f"the pattern to find in {registered.group(1)}: only the document's wording was read"
    if re.search(r"\bgrep\b|\bno (?:todo|fixme|console\.log|any)\b|\bno imports?\b", lowered):
        return _rule(
            "repo_grep",
            {"pattern": "TODO|FIXME", "paths": ["src/**/*"]},
            [{"expect_column_values_to_be_between": {"column": "matches", "max_value": 0}}],
            None,
        ), "the pattern and paths to search: only the document's wording was read"
    if re.search(r"\bpasses\b|\bgreen\b|\bci (?:check|gate|artifact)\b|\bscan\b|\blint", lowered):
        name = re.search(r"\b([a-z][\w-]*:[\w-]+)\b", text)  # events:compatibility-check
        if name:
            return _ci([name.group(1)], stated), ""
        return _ci([slug(item.title, "-")], stated), (
            "CI check name made from the title: use the name CI reports"
        )
    paths = _paths(text)
    if paths and re.search(r"exist|commit|present|\brepo\b|\bfile\b|\bdoc\b|published", lowered):
        return {
            "evidence": {"kind": "repo_files", "params": {"paths": paths}},
            "expectations": [
                {"expect_column_values_to_be_in_set": {"column": "exists", "value_set": [True]}}
            ],
        }, ""
    if any(word in lowered for word, _system in _SYSTEMS):
        system = next(s for word, s in _SYSTEMS if word in lowered)
        return _rule(
            "document",
            {
                "document": "config_snapshot",
                "where": {"system": system, "resource": slug(item.title, "-")},
                "latest": True,
            },
            [{"expect_column_values_to_not_be_null": {"column": "settings"}}],
            stated or "30d",
        ), f"which {system} resource and setting: the document names the system only"
    roles = named_roles or section_roles or ["Service owner"]
    what = item.evidence_text or item.check or "the document names no evidence"
    why = f"no collector for {what!r}; attested by {', '.join(roles)}"
    return _attested(roles), ("" if named_roles else why)


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
    used = {
        item["required_from"] if "required_from" in item else block["required_from"]
        for block in out_sections
        for item in block["items"]
    }
    empty = [lv["id"] for lv in levels[:-1] if lv["id"] not in used]
    if empty:
        notes.append((0, f"WARNING: {empty_levels_warning(empty)}"))
    return ImportResult(checklist, sorted(notes), count, review, empty)


def empty_levels_warning(levels: list[str]) -> str:
    return (
        f"no item is required from {', '.join(levels)}: a service reaches "
        f"{'that level' if len(levels) == 1 else 'those levels'} with no evidence at all. "
        "Give each item the level the document means (required_from), or pass "
        "--required-from"
    )


def import_file(path: Path, required_from: str | None = None) -> ImportResult:
    return import_checklist(path.read_text(encoding="utf-8"), path.name, required_from)


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

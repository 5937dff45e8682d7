"""Text the importer must take apart: table cells, words glued together when a web page's
table lost its borders, and HTML as plain text."""

from __future__ import annotations

import re
from collections import Counter
from html.parser import HTMLParser

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


def table_cells(text: str) -> list[str] | None:
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


def split_glued(rest: str, vocabulary: Counter[str] | None = None) -> tuple[str, str, str, bool]:
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

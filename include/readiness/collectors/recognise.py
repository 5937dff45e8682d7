"""How a collector recognises, in a readiness document's words, an item it can collect:
``import-checklist`` asks every collector's ``recognise.py`` (a module beside its
``collector.py``, found by convention like the probes of OpenSSF Scorecard) in the order
they declare, and the first that answers writes the item's evidence. A new collector that
knows how its items are worded adds a ``recognise.py``; the importer needs no edit.

Each module holds ``RECOGNISERS``: ``(order, function)`` pairs, lower first; a function
takes the item's ``Wording`` and returns ``(rule, review)`` — the checklist's evidence,
expectations and ``max_age``, and what was guessed ('' when nothing was) — or None."""

from __future__ import annotations

import importlib
import importlib.util
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Any

#: The checklist rule of an item and why it needs review ('' when it does not).
Guess = tuple[dict[str, Any], str]
Recogniser = Callable[["Wording"], Guess | None]


@dataclass(frozen=True)
class Wording:
    """What a document says about one item."""

    id: str | None
    title: str
    check: str = ""
    evidence_text: str = ""
    #: The roles the item itself names (a sign-off table's row), and its section's.
    item_roles: tuple[str, ...] = ()
    section_roles: tuple[str, ...] = ()
    #: A "Sign-off: …" line or a sign-off table's row.
    signoff: bool = False

    @cached_property
    def text(self) -> str:
        return f"{self.title} {self.check} {self.evidence_text}"

    @cached_property
    def lowered(self) -> str:
        return self.text.lower()

    @cached_property
    def stated_max_age(self) -> str | None:
        """The cadence or duration the text states, as a ``max_age``."""
        return max_age_of(self.text)

    @cached_property
    def named_roles(self) -> list[str]:
        return roles_named(self.title) or roles_named(self.text)


@cache
def recognisers() -> tuple[Recogniser, ...]:
    """Every registered collector's recognisers, in their declared order."""
    from readiness.collectors import KINDS

    found: list[tuple[int, str, Recogniser]] = []
    for kind, module in KINDS.items():
        name = module.rsplit(".", 1)[0] + ".recognise"
        if importlib.util.find_spec(name) is None:
            continue
        for order, recognise in importlib.import_module(name).RECOGNISERS:
            found.append((order, kind, recognise))
    return tuple(r for _order, _kind, r in sorted(found, key=lambda f: (f[0], f[1])))


def recognise(wording: Wording) -> Guess | None:
    """The first collector's answer for ``wording``; None when none recognises it."""
    for recogniser in recognisers():
        guess = recogniser(wording)
        if guess is not None:
            return guess
    return None


# ---------------------------------------------------------------- what recognisers share


def slug(text: str, sep: str = "_") -> str:
    words = re.findall(r"[a-z0-9]+", text.lower())
    return sep.join(words) or "section"


def rule(
    kind: str, params: dict[str, Any], expectations: list[dict[str, Any]], max_age: str | None
) -> dict[str, Any]:
    out: dict[str, Any] = {"evidence": {"kind": kind, "params": params}}
    out["expectations"] = expectations
    if max_age:
        out["max_age"] = max_age
    return out


def in_set(column: str, values: list[Any]) -> dict[str, Any]:
    return {"expect_column_values_to_be_in_set": {"column": column, "value_set": values}}


def paths_in(text: str) -> list[str]:
    found = re.findall(
        r"(?<![\w/])((?:[\w.\-*]+/)+[\w.\-*]*|[\w\-]+\.(?:md|ya?ml|json|ts|tf))", text
    )
    return [p for p in dict.fromkeys(found) if not p.startswith("http")]


_SPEC_FILE = re.compile(r"(?<![\w/])([\w\-./]*[\w\-]+\.(?:e2e\.spec|spec|test|e2e)\.[jt]sx?)\b")
#: Cadences and durations in the text → ``max_age`` (the newest evidence may be this old).
_CADENCES = (
    (re.compile(r"\b(?:bi-?weekly|fortnightly)\b|\bevery (?:two|2) weeks\b", re.I), "15d"),
    (re.compile(r"\bdaily\b|\bevery day\b|\bnightly\b", re.I), "1d"),
    # also glued to the word before, as copied tables leave it ("verifiedweekly")
    (re.compile(r"weekly\b|\bevery week\b", re.I), "8d"),
    (re.compile(r"\bmonthly\b|\bevery month\b", re.I), "31d"),
    (re.compile(r"\bquarterly\b|\b(?:every|each|per|last) quarter\b", re.I), "92d"),
    (re.compile(r"\byearly\b|\bannual(?:ly)?\b|\bevery year\b", re.I), "366d"),
)
_WITHIN = re.compile(
    r"\b(?:within|in the last|last|every|at most|no older than|≤)\s+(\d+)\s*(day|week|month|year)",
    re.I,
)
#: A percentage bound in words or symbols: "over 80%", "at least 99.9 %", "≥ 85%", "<50%".
_PERCENT = re.compile(
    r"(?P<op>≥|>=|>|≤|<=|<|\bover\b|\babove\b|\bat least\b|\bmore than\b|\bminimum(?: of)?\b"
    r"|\bbelow\b|\bunder\b|\bless than\b|\bat most\b|\bmaximum(?: of)?\b|\bno more than\b)?"
    r"\s*(?P<value>\d+(?:\.\d+)?)\s*%",
    re.I,
)
_UPPER_WORDS = ("≤", "<=", "<", "below", "under", "less than", "at most", "maximum", "no more than")
#: Roles named in the text: "approved by product owner", "signed by the SRE lead".
_BY_ROLE = re.compile(
    r"\b(?:approved|signed(?: off)?|reviewed|accepted|attested)\s+by\s+(?:the\s+)?"
    r"([A-Za-z][\w /&-]{1,40}?)(?=[.;,)]|\s+(?:and|before|after|in|on|for)\b|$)",
    re.I,
)
_NOT_ROLE = frozenset({"review", "reviewed", "doc", "signature", "sign-off", "approval", "report"})


def spec_files(text: str) -> list[str]:
    """Every test spec the text names, as it names them (``IdempotencyMiddleware.spec.ts``)."""
    return list(dict.fromkeys(m.group(1) for m in _SPEC_FILE.finditer(text)))


@dataclass(frozen=True)
class Threshold:
    """A percentage the text states: ``bound`` is ``min`` or ``max``; ``stated`` is False
    when no word or symbol said which (a bare "80 %": read as a minimum)."""

    bound: str
    percent: float
    stated: bool


def percent_threshold(text: str) -> Threshold | None:
    """The first percentage bound in the text ("over 80%" → min 80, "<50%" → max 50)."""
    found = _PERCENT.search(text)
    if found is None:
        return None
    op = (found.group("op") or "").lower()
    bound = "max" if op and op.startswith(_UPPER_WORDS) else "min"
    return Threshold(bound, float(found.group("value")), bool(op))


def max_age_of(text: str) -> str | None:
    """A duration or cadence the text states ("within 90 days", "weekly"), as a max_age."""
    found = _WITHIN.search(text)
    if found:
        n, unit = int(found.group(1)), found.group(2).lower()
        return f"{n * {'day': 1, 'week': 7, 'month': 31, 'year': 366}[unit]}d"
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

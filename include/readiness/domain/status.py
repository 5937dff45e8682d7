"""The item statuses and what each means wherever it shows (``docs/design.md`` §2)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal


class Status(StrEnum):
    """Item status: exactly one per item per evaluation."""

    PASS = "pass"
    FAIL = "fail"
    STALE = "stale"
    MISSING = "missing"
    ERROR = "error"
    WAIVED = "waived"
    NOT_APPLICABLE = "not_applicable"


@dataclass(frozen=True)
class StatusTraits:
    """What one status means everywhere it shows. Scoring, SQL, the console, the UI, the
    quarterly report and OSCAL all derive from ``STATUS_TABLE``; a new status is a row
    here, the place scoring produces it, and docs/design.md."""

    #: Counts towards a level (the level rule, the gate, "blocking" in the UI).
    satisfied: bool
    #: A previous status from which falling to a failing one is a regression.
    passing: bool
    #: OSCAL finding ``target.status.state``.
    finding_state: Literal["satisfied", "not-satisfied"]
    #: ``rich`` style in the console.
    console_style: str
    #: Text colour in the readiness pages and the quarterly report.
    colour: str


STATUS_TABLE: dict[Status, StatusTraits] = {
    Status.PASS: StatusTraits(True, True, "satisfied", "green", "#166534"),
    # a waiver accepts a risk; OSCAL keeps it not-satisfied beside its deviation-approved risk
    Status.WAIVED: StatusTraits(True, True, "not-satisfied", "cyan", "#6b7280"),
    Status.NOT_APPLICABLE: StatusTraits(True, False, "satisfied", "dim", "#6b7280"),
    Status.FAIL: StatusTraits(False, False, "not-satisfied", "bold red", "#991b1b"),
    Status.STALE: StatusTraits(False, False, "not-satisfied", "yellow", "#b45309"),
    Status.MISSING: StatusTraits(False, False, "not-satisfied", "magenta", "#b45309"),
    Status.ERROR: StatusTraits(False, False, "not-satisfied", "bold white on red", "#991b1b"),
}

#: Statuses that let an item count towards a level.
SATISFIED: frozenset[Status] = frozenset(s for s, t in STATUS_TABLE.items() if t.satisfied)
#: Statuses a previous evaluation must have had for a drop to be a regression.
PASSING: frozenset[Status] = frozenset(s for s, t in STATUS_TABLE.items() if t.passing)
#: Statuses that are findings against the service.
FAILING: frozenset[Status] = frozenset(s for s in Status if s not in SATISFIED)
#: Status values (strings, as history rows hold them) that count towards a level.
SATISFIED_VALUES: frozenset[str] = frozenset(s.value for s in SATISFIED)


def status_css() -> str:
    """The pages' status colours (``.s-<status>``), one rule per status."""
    return "".join(f".s-{s.value}{{color:{t.colour}}}" for s, t in STATUS_TABLE.items())


def sql_list(statuses: frozenset[Status]) -> str:
    """A status set as a SQL list, in ``Status`` order: ``('pass', 'waived', …)``."""
    return "(" + ", ".join(f"'{s.value}'" for s in Status if s in statuses) + ")"


#: Placeholders the history and report SQL use instead of writing statuses out; filled in
#: by ``readiness.history.sql.fill`` so a new status reaches every query.
SQL_TERMS: dict[str, str] = {
    "{satisfied}": sql_list(SATISFIED),
    "{failing}": sql_list(FAILING),
    "{status_error}": f"'{Status.ERROR.value}'",
    "{status_counts}": ", ".join(f"count_{s.value}" for s in Status),
}

"""The domain vocabulary of docs/design.md §2 as immutable values: loading, collection,
validation and scoring all speak these types."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from readiness.domain.channels import Channels
from readiness.domain.status import (  # noqa: F401 - the domain vocabulary, re-exported
    FAILING,
    PASSING,
    SATISFIED,
    SATISFIED_VALUES,
    SQL_TERMS,
    STATUS_TABLE,
    Status,
    StatusTraits,
    sql_list,
    status_css,
)

if TYPE_CHECKING:
    from readiness.domain.exemptions import ExemptionState


NO_LEVEL = "none"
#: How bad a failing item is, lowest first (the checklist's ``severity``).
Severity = Literal["low", "medium", "high", "critical"]


@dataclass(frozen=True)
class Level:
    """A readiness level (``L0`` Dev … ``L4`` Mature). Levels are data: a checklist may
    define its own; ``rank`` is the position in the checklist's ordered list."""

    id: str
    name: str
    rank: int
    description: str = ""
    attributes: dict[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.id} {self.name}"


@dataclass(frozen=True)
class Expectation:
    """A Great Expectations expectation by its snake_case name, with arguments as written
    (relative times such as ``{ago: 90d}`` are resolved at evaluation time)."""

    type: str
    kwargs: dict[str, Any]


@dataclass(frozen=True)
class EvidenceSource:
    """Which collector gathers an item's evidence, and with what parameters."""

    kind: str
    params: dict[str, Any]


@dataclass(frozen=True)
class Overridable:
    """What a checklist lets a service spec change on an item. ``params`` maps a collector
    param to ``any`` (a location or resource name), ``min`` (a lower bound: the spec may
    only raise it) or ``max`` (an upper bound: it may only lower it). The flags permit the
    weakening overrides without an approver."""

    params: tuple[tuple[str, str], ...] = ()
    not_applicable: bool = False
    max_age: bool = False
    required_from: bool = False

    def param_rule(self, name: str) -> str | None:
        return dict(self.params).get(name)


@dataclass(frozen=True)
class Item:
    id: str
    title: str
    section: str
    section_title: str
    required_from: str
    evidence: EvidenceSource
    expectations: tuple[Expectation, ...]
    #: The highest level the item counts at (None: every level from ``required_from`` up).
    required_until: str | None = None
    severity: str = "medium"
    check: str = ""
    max_age: timedelta | None = None
    signoff_roles: tuple[str, ...] = ()
    runbook: str | None = None
    notes: str = ""
    remediation_days: int | None = None
    #: Why a person should look at this item; ``import-checklist`` sets it where it guessed.
    review: str = ""
    overridable: Overridable = field(default_factory=Overridable)
    references: tuple[str, ...] = ()  # http(s) links the checklist's source gives the item


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    items: tuple[Item, ...]
    signoff_roles: tuple[str, ...] = ()


@dataclass(frozen=True)
class PromotionRule:
    """What entering ``level`` takes beyond its items being satisfied (seed 004 §15: GA exit
    criteria from Pilot): the named ``criteria`` items, and having held ``from_level`` or
    better for ``held_for`` without a break."""

    level: str
    title: str
    from_level: str
    held_for: timedelta | None = None
    criteria: tuple[str, ...] = ()
    source: str = ""


@dataclass(frozen=True)
class Checklist:
    id: str
    title: str
    version: str
    levels: tuple[Level, ...]
    sections: tuple[Section, ...]
    file: str
    sha256: str
    source: str = ""
    description: str = ""
    promotions: dict[str, PromotionRule] = field(default_factory=dict)
    #: who may grant exemptions from this checklist, and for how long
    exemptions: ExemptionPolicy = field(default_factory=lambda: ExemptionPolicy())

    @property
    def items(self) -> tuple[Item, ...]:
        return tuple(item for section in self.sections for item in section.items)

    def level(self, level_id: str) -> Level:
        for level in self.levels:
            if level.id == level_id:
                return level
        raise KeyError(level_id)

    def rank(self, level_id: str) -> int:
        """Rank of a level id; ``none`` ranks below every level."""
        if level_id == NO_LEVEL:
            return -1
        return self.level(level_id).rank

    def item(self, item_id: str) -> Item:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)


@dataclass(frozen=True)
class Waiver:
    """Accepted risk for one item (seed 004 §14: SERVICE_RISK_REGISTER with a remediation
    deadline). In force from ``starts`` up to and including ``expires``; it only ever turns
    a failing item ``waived``, never a passing one."""

    item: str
    reason: str
    approver: str
    expires: date
    reference: str = ""
    source: str = ""
    #: First day in force (``None``: no start was given, in force until it expires). A
    #: backfill before the start sees no waiver.
    starts: date | None = None
    #: Who asked for it (a spec's waiver is a request; ``approver`` is whoever granted it).
    requested_by: str = ""

    def in_force(self, on: date, max_days: int | None = None) -> bool:
        """In force on ``on``: from ``starts``, and never more than ``max_days`` (the
        checklist's ``exemptions.max_duration``) before it expires, so an expiry of
        2999-12-31 buys nothing today."""
        earliest = self.expires - timedelta(days=max_days) if max_days is not None else None
        return (
            (self.starts is None or self.starts <= on)
            and (earliest is None or earliest <= on)
            and on <= self.expires
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "item": self.item,
            "reason": self.reason,
            "approver": self.approver,
            "starts": self.starts.isoformat() if self.starts else None,
            "expires": self.expires.isoformat(),
            "reference": self.reference,
            "source": self.source,
            "requested_by": self.requested_by,
        }


@dataclass(frozen=True)
class ItemOverride:
    """Per-service change to one checklist item."""

    required_from: str | None = None
    max_age: timedelta | None = None
    params: dict[str, Any] = field(default_factory=dict)
    not_applicable: str | None = None  # the reason, when the item does not apply
    #: The authority for a weakening override the checklist does not permit, as for a
    #: waiver: who approved it, why, until when (it lapses after ``expires``).
    approver: str | None = None
    reason: str = ""
    expires: date | None = None
    reference: str = ""
    requested_by: str = ""
    #: What it changes, in words, for status, the report and the OSCAL export (the loader
    #: fills it in once it has checked the override against its checklist).
    description: str = ""

    def in_force(self, day: date | None, max_days: int | None = None) -> bool:
        """An approved override lapses after its expiry, and counts no more than
        ``max_days`` before it (``exemptions.max_duration``); a permitted one never lapses."""
        if self.expires is None or day is None:
            return True
        earliest = self.expires - timedelta(days=max_days) if max_days is not None else None
        return (earliest is None or earliest <= day) and day <= self.expires


@dataclass(frozen=True)
class ExemptionRule:
    """Who may grant an exemption (a waiver or a weakening override) and for how long.
    No approvers, no ``max_days``: the checklist says nothing, and any approver a spec names
    is taken for any length (the behaviour of checklists written before ``exemptions:``)."""

    approvers: tuple[str, ...] = ()
    max_days: int | None = None

    def allows(self, approver: str) -> bool:
        return not self.approvers or approver in self.approvers


@dataclass(frozen=True)
class ExemptionPolicy:
    """A checklist's ``exemptions:``: one rule, optionally a stricter one per severity."""

    default: ExemptionRule = ExemptionRule()
    by_severity: dict[str, ExemptionRule] = field(default_factory=dict)

    def rule(self, severity: str) -> ExemptionRule:
        return self.by_severity.get(severity, self.default)


@dataclass(frozen=True)
class ServiceSpec:
    service: str
    owner_team: str
    #: The team key in the issue tracker (a Linear team key such as ``STO``).
    tracker_team: str
    target_level: str
    checklist: str
    file: str
    sha256: str
    schedule: str = "@daily"
    description: str = ""
    owner_links: dict[str, str] = field(default_factory=dict)
    evidence_store: str | None = None
    repo: str | None = None
    locations: dict[str, str] = field(default_factory=dict)
    #: Deprecated keys the spec file still uses, each a sentence naming the file.
    deprecations: tuple[str, ...] = ()
    overrides: dict[str, ItemOverride] = field(default_factory=dict)
    waivers: tuple[Waiver, ...] = ()
    notify: Channels = field(default_factory=Channels)


@dataclass(frozen=True)
class Evidence:
    """What a collector returned for one item: rows plus provenance.

    ``found`` False means nothing was there (status ``missing``); ``error`` set means the
    collector could not run (status ``error``). Collectors never decide pass/fail."""

    rows: list[dict[str, Any]]
    columns: tuple[str, ...]
    uri: str | None
    sha256: str | None
    fetched_at: datetime
    observed_at: datetime | None = None
    expires_at: datetime | None = None
    found: bool = True
    error: str | None = None
    summary: dict[str, Any] = field(default_factory=dict)
    #: The error came from an unreachable source (worth retrying), not from bad content.
    transient: bool = False
    #: With ``transient``: the source that could not be reached (``gs://…/svc``,
    #: ``bigquery``, a URL): one outage, however many items read it.
    outage: str | None = None
    #: (URI, sha256) of each object or record read: what the evidence archive keeps.
    sources: tuple[tuple[str, str], ...] = ()

    @classmethod
    def missing(cls, uri: str | None, fetched_at: datetime, why: str, **summary: Any) -> Evidence:
        """Nothing was found; ``summary`` adds what history should still know (e.g. the
        roles that have not signed)."""
        return cls(
            rows=[],
            columns=(),
            uri=uri,
            sha256=None,
            fetched_at=fetched_at,
            found=False,
            summary={"missing": why, **summary},
        )

    @classmethod
    def failed(
        cls, uri: str | None, fetched_at: datetime, error: str, *, transient: bool = False
    ) -> Evidence:
        return cls(
            rows=[],
            columns=(),
            uri=uri,
            sha256=None,
            fetched_at=fetched_at,
            error=error,
            transient=transient,
        )


@dataclass(frozen=True)
class ExpectationOutcome:
    """The Great Expectations result of one expectation on one item's evidence."""

    type: str
    kwargs: dict[str, Any]
    success: bool
    observed: Any = None
    unexpected_count: int = 0
    unexpected_sample: list[Any] = field(default_factory=list)
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "expectation": self.type,
            "kwargs": self.kwargs,
            "success": self.success,
            "observed": self.observed,
            "unexpected_count": self.unexpected_count,
            "unexpected_sample": self.unexpected_sample,
            "error": self.error,
        }


@dataclass(frozen=True)
class PriorItemState:
    """What history knows of an item before this run (for grace and regressions)."""

    status: Status
    effective_status: Status
    error_streak: int = 0
    reason: str = ""
    episode_id: str | None = None
    #: The run this state was recorded by: a regression's episode is named after it.
    run_id: str = ""


@dataclass(frozen=True)
class ItemResult:
    service: str
    item: Item
    required_from: str
    status: Status
    effective_status: Status
    previous_status: Status | None
    regressed: bool
    reason: str
    evidence: Evidence | None
    outcomes: tuple[ExpectationOutcome, ...] = ()
    waiver: Waiver | None = None
    error_streak: int = 0
    episode_id: str | None = None
    #: What the item counted as last run (after error grace): what a regression is decided
    #: on, and what an issue names as "before". ``previous_status`` is the raw status.
    previous_effective_status: Status | None = None
    #: The run the previous state was recorded by ('' for the first): an outage's episode
    #: is named after it, so runs racing from one prior state share the outage's issue.
    previous_run_id: str = ""
    #: The service spec's override of this item, in words ("" when it runs the checklist's
    #: rule as written): an auditor must see that a service runs a modified rule.
    override: str = ""
    #: The exemption asked for this item, as ``ExemptionState.as_json`` (None: none asked).
    exemption: dict[str, Any] | None = None

    @property
    def satisfied(self) -> bool:
        return self.effective_status in SATISFIED


@dataclass(frozen=True)
class ServiceEvaluation:
    run_id: str
    service: str
    spec: ServiceSpec
    checklist: Checklist
    evaluated_at: datetime
    achieved_level: str
    previous_level: str | None
    target_level: str
    items: tuple[ItemResult, ...]
    #: Every exemption the spec asks for, as ``domain.exemptions.ExemptionState``s.
    exemptions: tuple[ExemptionState, ...] = ()
    #: The checklist the service is still held to while its move away is not granted.
    held_checklist: str | None = None
    #: Changes of checklist or target since the last run, in words (history events).
    changes: tuple[str, ...] = ()
    #: What scoring was given besides evidence (exemptions, prior states): re-derivation.
    inputs: dict[str, Any] = field(default_factory=dict)

    @property
    def downgraded(self) -> bool:
        if self.previous_level is None:
            return False
        return self.checklist.rank(self.achieved_level) < self.checklist.rank(self.previous_level)

    @property
    def below_target(self) -> bool:
        return self.checklist.rank(self.achieved_level) < self.checklist.rank(self.target_level)

    @property
    def regressions(self) -> tuple[ItemResult, ...]:
        return tuple(r for r in self.items if r.regressed)

    def counts(self) -> dict[str, int]:
        counts = {status.value: 0 for status in Status}
        for result in self.items:
            counts[result.status.value] += 1
        return counts

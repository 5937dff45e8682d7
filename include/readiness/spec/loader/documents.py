"""The YAML documents' shapes (pydantic models): what a checklist and a service spec
may say, field by field, before any cross-checks."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from readiness.domain.model import (
    Severity,
)

ID_PATTERN = r"^[A-Za-z][A-Za-z0-9_.\-]*$"
#: A risk-register reference (``RISK-118``): it names files, so no path separators or dots
#: leading (``../../../tmp/x``).
REFERENCE_PATTERN = r"^([A-Za-z0-9][A-Za-z0-9_.-]{0,63})?$"


class StrictDoc(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class LevelDoc(StrictDoc):
    id: str = Field(pattern=ID_PATTERN)
    name: str
    description: str = ""
    attributes: dict[str, str] = {}


class EvidenceDoc(StrictDoc):
    kind: str
    params: dict[str, Any] = {}


class TemplateDoc(StrictDoc):
    description: str = ""
    evidence: EvidenceDoc
    expectations: list[dict[str, dict[str, Any] | None]] = Field(min_length=1)
    max_age: str | None = None


class OverridableDoc(StrictDoc):
    """What a service spec may change on an item (or, under ``defaults``, on every item)."""

    params: dict[str, Literal["any", "min", "max"]] = {}
    not_applicable: bool = False
    max_age: bool = False
    required_from: bool = False


class ItemDoc(StrictDoc):
    id: str = Field(pattern=ID_PATTERN)
    title: str
    check: str = ""
    required_from: str | None = None
    #: the highest level the item counts at: a check a stronger item replaces higher up
    required_until: str | None = None
    use: str | None = None
    with_: dict[str, Any] = Field(default={}, alias="with")
    evidence: EvidenceDoc | None = None
    expectations: list[dict[str, dict[str, Any] | None]] | None = None
    max_age: str | None = None
    signoff_roles: list[str] = []
    runbook: str | None = None
    severity: Severity | None = None
    notes: str = ""
    remediation_days: int | None = Field(default=None, ge=0)
    #: Why a person should look at this item (set by ``import-checklist`` when it guessed).
    review: str = ""
    #: http(s) links the checklist's source gives for the item
    references: list[str] = []
    overridable: OverridableDoc | None = None


class SectionDoc(StrictDoc):
    id: str = Field(pattern=ID_PATTERN)
    title: str
    #: what the source document says of the section (for people; scoring ignores it)
    description: str = ""
    required_from: str | None = None
    signoff_roles: list[str] = []
    items: list[ItemDoc] = Field(min_length=1)


class DefaultsDoc(StrictDoc):
    severity: Severity = "medium"
    max_age: str | None = None
    runbook: str | None = None
    overridable: OverridableDoc = OverridableDoc()


class PromotionDoc(StrictDoc):
    """A promotion rule: what entering a level takes beyond its items being satisfied."""

    title: str
    from_: str = Field(alias="from")
    held_for: str | None = None
    criteria: list[str] = []
    source: str = ""


class ExemptionRuleDoc(StrictDoc):
    #: Airflow users (or roles) who may grant; none: any approver a spec names
    approvers: list[str] = []
    #: the longest window of an exemption; none: unbounded
    max_duration: str | None = None


class ExemptionsDoc(ExemptionRuleDoc):
    #: a stricter rule for items of a severity (``critical: {max_duration: 30d}``)
    by_severity: dict[str, ExemptionRuleDoc] = {}


class ChecklistDoc(StrictDoc):
    checklist: str = Field(pattern=ID_PATTERN)
    title: str
    version: str = "1"
    source: str = ""
    description: str = ""
    levels: list[LevelDoc] = Field(min_length=1)
    defaults: DefaultsDoc = DefaultsDoc()
    templates: dict[str, TemplateDoc] = {}
    sections: list[SectionDoc] = Field(min_length=1)
    promotion: dict[str, PromotionDoc] = {}
    exemptions: ExemptionsDoc = ExemptionsDoc()


class OverrideDoc(StrictDoc):
    required_from: str | None = None
    max_age: str | None = None
    params: dict[str, Any] = {}
    not_applicable: str | None = None
    #: a weakening the checklist does not permit is a request: why, and the last day wanted
    reason: str = ""
    expires: date | None = None
    reference: str = Field(default="", pattern=REFERENCE_PATTERN)
    #: the Airflow user asking (default: the owning team); they can never grant it
    requested_by: str = ""
    #: read, never trusted: a spec cannot say who approved it (see ``approver_note``)
    approver: str | None = None


class WaiverDoc(StrictDoc):
    item: str
    reason: str = Field(min_length=1)
    starts: date | None = None
    #: the last day the team wants the waiver for
    expires: date
    reference: str = Field(default="", pattern=REFERENCE_PATTERN)
    requested_by: str = ""
    #: read, never trusted: a spec cannot say who approved it
    approver: str | None = None

    @model_validator(mode="after")
    def _starts_before_it_expires(self) -> WaiverDoc:
        if self.starts is not None and self.starts > self.expires:
            raise ValueError(f"starts {self.starts} is after expires {self.expires}")
        return self


class EvidenceLocationsDoc(StrictDoc):
    store: str | None = None
    repo: str | None = None
    locations: dict[str, str] = {}


#: An Airflow connection id: it names a connection, never holds the URL or the password.
CONN_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,249}$"
EMAIL_PATTERN = r"^[^@\s<>,;]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}$"


class EmailChannelDoc(StrictDoc):
    #: an Airflow connection of type smtp
    connection: str = Field(pattern=CONN_ID_PATTERN)
    to: list[str] = Field(min_length=1, max_length=50)

    @field_validator("to")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        import re

        bad = [a for a in value if not re.fullmatch(EMAIL_PATTERN, a)]
        if bad:
            raise ValueError(f"expected e-mail addresses such as team@example.com, got {bad}")
        return value


class NotifyDoc(StrictDoc):
    #: an Airflow connection of type slackwebhook
    slack: str | None = Field(default=None, pattern=CONN_ID_PATTERN)
    email: EmailChannelDoc | None = None


SCHEDULE_PRESETS = ("@hourly", "@daily", "@weekly", "@monthly", "@quarterly", "@yearly")


class SpecDoc(StrictDoc):
    service: str = Field(pattern=r"^[a-z][a-z0-9\-]*$")
    description: str = ""
    owner_team: str
    owner_links: dict[str, str] = {}
    tracker_team: str | None = Field(default=None, pattern=r"^[A-Z][A-Z0-9]*$")
    #: Deprecated name of ``tracker_team``; still read, with a deprecation note.
    linear_team: str | None = Field(default=None, pattern=r"^[A-Z][A-Z0-9]*$")
    target_level: str
    schedule: str = "@daily"
    checklist: str
    evidence: EvidenceLocationsDoc = EvidenceLocationsDoc()
    #: where the team is told of downgrades, recoveries and pre-lapse notices
    notify: NotifyDoc = NotifyDoc()

    @model_validator(mode="after")
    def _one_tracker_team(self) -> SpecDoc:
        if self.tracker_team is None and self.linear_team is None:
            raise ValueError("tracker_team: required field is missing (the tracker's team key)")
        if self.tracker_team and self.linear_team and self.tracker_team != self.linear_team:
            raise ValueError(
                f"tracker_team {self.tracker_team!r} and the deprecated linear_team "
                f"{self.linear_team!r} disagree; keep tracker_team only"
            )
        return self

    @field_validator("schedule")
    @classmethod
    def _cron_or_preset(cls, value: str) -> str:
        """Checked here so ``readiness check`` catches it, not the DAG processor."""
        from croniter import croniter

        if value in SCHEDULE_PRESETS or croniter.is_valid(value):
            return value
        raise ValueError(
            f"expected a cron expression such as '0 5 * * *' or one of "
            f"{', '.join(SCHEDULE_PRESETS)}"
        )

    overrides: dict[str, OverrideDoc] = {}
    waivers: list[WaiverDoc] = []

"""Exemptions: what a team asks for and what someone else grants.

A service spec is written by the team it describes, so nothing in it can raise the team's
level by itself. A waiver, an override that weakens a rule (not applicable, a longer
``max_age``, a later ``required_from``), a lower target level or a move to another
checklist is an :class:`ExemptionRequest`: it has no effect until an :class:`ExemptionDecision`
grants it. A decision counts only when :func:`grant_problem` finds nothing wrong with it:
the person deciding is one of the checklist's approvers and not the requester, and the
window granted is no longer than the checklist's ``max_duration``. A grant lapses after the
day it names, and the request then needs a new one (Soundcheck's and Cortex's model)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from readiness.domain.model import ExemptionRule

#: What a request asks for. Item kinds name the override field they weaken.
ITEM_KINDS = ("waiver", "not_applicable", "max_age", "required_from")
SPEC_KINDS = ("target_level", "checklist")
KINDS = ITEM_KINDS + SPEC_KINDS

#: A request's state as of a day (every request is in exactly one).
State = Literal["requested", "granted", "refused", "lapsed"]
STATES: tuple[State, ...] = ("requested", "granted", "refused", "lapsed")

#: The events history keeps (``exemption_events``): the states, the approval being put to
#: people (``asked``) and a change of the spec's checklist or target (``changed``).
EVENTS = ("requested", "asked", "granted", "refused", "lapsed", "unanswered", "changed")


def _digest(*parts: Any) -> str:
    text = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class ExemptionRequest:
    """One thing a spec asks for. Its id is a digest of what it asks, so the same request
    keeps its grant across runs, and any change to it (a later expiry, another reason) is a
    new request that needs a new grant."""

    service: str
    item: str  # "" for a spec-wide request (target level, checklist)
    kind: str
    #: What it changes, in words ("not applicable: …", "target L3 → L2").
    change: str
    reason: str
    #: The last day the team wants it for (None: until the spec changes again).
    until: date | None
    requested_by: str
    reference: str = ""
    source: str = ""
    #: The first day wanted (None: from the grant); a grant never reaches back before it.
    starts: date | None = None

    @property
    def id(self) -> str:
        parts: tuple[Any, ...] = (self.service, self.item, self.kind, self.change, self.reason)
        parts += (self.until,) if self.starts is None else (self.until, self.starts)
        return f"EXR-{_digest(*parts)[:12]}"

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "service": self.service,
            "item": self.item,
            "kind": self.kind,
            "change": self.change,
            "reason": self.reason,
            "until": self.until.isoformat() if self.until else None,
            "requested_by": self.requested_by,
            "reference": self.reference,
            "source": self.source,
            "starts": self.starts.isoformat() if self.starts else None,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ExemptionRequest:
        until, starts = data.get("until"), data.get("starts")
        return cls(
            service=data["service"],
            item=data.get("item") or "",
            kind=data["kind"],
            change=data.get("change") or "",
            reason=data.get("reason") or "",
            until=date.fromisoformat(until) if until else None,
            requested_by=data.get("requested_by") or "",
            reference=data.get("reference") or "",
            source=data.get("source") or "",
            starts=date.fromisoformat(starts) if starts else None,
        )


@dataclass(frozen=True)
class ExemptionDecision:
    """Someone's answer to a request: in Airflow (a HITL response) or in a grant document
    under ``exemptions_root``. ``until`` is the last day a grant holds."""

    request_id: str
    decision: Literal["granted", "refused"]
    by: str
    at: datetime
    until: date | None = None
    comment: str = ""
    source: str = ""

    @property
    def event_id(self) -> str:
        return "EXE-" + _digest(self.request_id, self.decision, self.by, self.at, self.until)[:16]


def grant_problem(
    request: ExemptionRequest, rule: ExemptionRule, by: str, at: datetime, until: date | None
) -> str | None:
    """Why a grant of ``request`` by ``by`` at ``at`` until ``until`` must be refused, or
    None. A refusal (a "no") is never refused: anyone asked may say no."""
    if not by:
        return "a grant must name who granted it"
    if by == request.requested_by:
        return f"{by} requested {request.id} and cannot grant their own request"
    if not rule.allows(by):
        return f"{by} may not grant this exemption; expected one of {list(rule.approvers)}"
    if request.kind in ITEM_KINDS and until is None:
        return "a grant of an item's exemption must say until when (an expiry)"
    if until is not None and until < at.date():
        return f"the grant ends on {until.isoformat()}, before it was given"
    if until is not None and rule.max_days is not None:
        days = (until - at.date()).days
        if days > rule.max_days:
            return (
                f"a grant of {days} days (until {until.isoformat()}) is longer than the "
                f"{rule.max_days} days the checklist allows (exemptions.max_duration)"
            )
    return None


@dataclass(frozen=True)
class ExemptionState:
    """Where one request stands on one day, and the decision that put it there."""

    request: ExemptionRequest
    state: State
    decision: ExemptionDecision | None = None
    #: Decisions not counted, each with why (a self-grant, a grant too long, …).
    refused_grants: tuple[tuple[ExemptionDecision, str], ...] = ()

    @property
    def in_force(self) -> bool:
        return self.state == "granted"

    def words(self) -> str:
        """One line for status, the UI and the report."""
        r, d = self.request, self.decision
        if self.state == "granted" and d is not None:
            until = f" until {d.until.isoformat()}" if d.until else ""
            return f"{r.id} granted by {d.by} on {d.at.date().isoformat()}{until}"
        if self.state == "lapsed" and d is not None:
            return f"{r.id} lapsed: the grant by {d.by} ended on {d.until}"
        if self.state == "refused" and d is not None:
            return f"{r.id} refused by {d.by} on {d.at.date().isoformat()}" + (
                f": {d.comment}" if d.comment else ""
            )
        why = f" ({self.refused_grants[-1][1]})" if self.refused_grants else ""
        return f"{r.id} requested by {r.requested_by}, not granted{why}"

    def as_json(self) -> dict[str, Any]:
        d = self.decision
        return {
            "request": self.request.as_json(),
            "state": self.state,
            "decision": None
            if d is None
            else {
                "decision": d.decision,
                "by": d.by,
                "at": d.at.isoformat(),
                "until": d.until.isoformat() if d.until else None,
                "comment": d.comment,
                "source": d.source,
            },
            "refused_grants": [
                {"by": g.by, "at": g.at.isoformat(), "why": why, "source": g.source}
                for g, why in self.refused_grants
            ],
            "words": self.words(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ExemptionState:
        request = ExemptionRequest.from_json(data["request"])
        raw = data.get("decision")
        decision = None if raw is None else _decision(request.id, raw)
        refused = tuple(
            (_decision(request.id, {**g, "decision": "granted"}), g["why"])
            for g in data.get("refused_grants", [])
        )
        return cls(request, data["state"], decision, refused)


def _decision(request_id: str, raw: dict[str, Any]) -> ExemptionDecision:
    until = raw.get("until")
    return ExemptionDecision(
        request_id=request_id,
        decision=raw.get("decision", "granted"),
        by=raw["by"],
        at=datetime.fromisoformat(raw["at"]),
        until=date.fromisoformat(until) if until else None,
        comment=raw.get("comment", ""),
        source=raw.get("source", ""),
    )


def resolve(
    request: ExemptionRequest,
    decisions: Iterable[ExemptionDecision],
    rule: ExemptionRule,
    as_of: datetime,
) -> ExemptionState:
    """The request's state at ``as_of``: the latest counted decision made by then decides;
    a grant past its last day has lapsed; no counted decision leaves it requested."""
    counted: list[ExemptionDecision] = []
    refused: list[tuple[ExemptionDecision, str]] = []
    for d in sorted(decisions, key=lambda d: d.at):
        if d.request_id != request.id or d.at > as_of:
            continue
        problem = (
            grant_problem(request, rule, d.by, d.at, d.until) if d.decision == "granted" else None
        )
        if problem:
            refused.append((d, problem))
        else:
            counted.append(d)
    if not counted:
        return ExemptionState(request, "requested", None, tuple(refused))
    last = counted[-1]
    if last.decision == "refused":
        return ExemptionState(request, "refused", last, tuple(refused))
    if last.until is not None and as_of.date() > last.until:
        return ExemptionState(request, "lapsed", last, tuple(refused))
    return ExemptionState(request, "granted", last, tuple(refused))


@dataclass(frozen=True)
class Baseline:
    """What the service was last held to, from history: the checklist (or the one it is
    still held to while a move is requested), the target and the level achieved."""

    checklist: str
    target_level: str
    achieved_rank: int


def lapse_day(state: ExemptionState) -> datetime | None:
    """When a lapsed grant stopped counting: the day after its last."""
    d = state.decision
    if state.state != "lapsed" or d is None or d.until is None:
        return None
    return datetime.combine(d.until + timedelta(days=1), time.min, UTC)

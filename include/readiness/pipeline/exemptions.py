"""The exemptions of a run: what the spec asks for, what has been decided, and so what is
in force.

Decisions come from two places, never from the team's own evidence store:
- history's ``exemption_events``, where the ``readiness__exemptions`` DAG records each
  answer given in Airflow (who answered is whoever Airflow's auth says signed in);
- grant documents under the ``exemptions_root`` setting (``<root>/<service>/``), a location
  the compliance team owns: a risk register's exports, or a grant written by an approver
  outside Airflow. A document names the request it answers (``request: EXR-…``), or is a
  waiver the register granted on its own (matched to the spec's request by item and
  reference when there is one)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from readiness.domain.exemptions import (
    Baseline,
    ExemptionDecision,
    ExemptionRequest,
    ExemptionState,
    resolve,
)
from readiness.domain.model import Checklist, ExemptionRule, ServiceSpec, Waiver
from readiness.evidence.documents import DocumentError, load_documents
from readiness.evidence.store import EvidenceStore, ReadLimits, StoreUnavailable, open_service_store
from readiness.spec.config import Settings
from readiness.spec.overrides import item_requests, requester

log = logging.getLogger(__name__)

#: The register's own requests (a waiver it granted without a spec asking) name it.
REGISTER = "risk-register"


@dataclass
class Exemptions:
    """A run's exemptions, as the score stage uses them."""

    states: list[ExemptionState] = field(default_factory=list)
    waivers: list[Waiver] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: While a lower target is not granted, the service is held to the one it had.
    held_target: str | None = None
    #: While a move to another checklist is not granted: the checklist it is held to, and
    #: the rank its level may not rise above (the level it had there).
    held_checklist: str | None = None
    level_cap: int | None = None
    #: Changes of checklist or target since the baseline, in words.
    changes: list[str] = field(default_factory=list)

    def state_of(self, kind: str, item: str = "") -> ExemptionState | None:
        return next(
            (s for s in self.states if s.request.kind == kind and s.request.item == item), None
        )

    @property
    def granted(self) -> frozenset[str]:
        return frozenset(s.request.id for s in self.states if s.in_force)

    def as_json(self) -> dict[str, Any]:
        return {
            "states": [s.as_json() for s in self.states],
            "waivers": [w.as_json() for w in self.waivers],
            "warnings": list(self.warnings),
            "held_target": self.held_target,
            "held_checklist": self.held_checklist,
            "level_cap": self.level_cap,
            "changes": list(self.changes),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Exemptions:
        return cls(
            states=[ExemptionState.from_json(s) for s in data.get("states", [])],
            waivers=[_waiver(w) for w in data.get("waivers", [])],
            warnings=list(data.get("warnings", [])),
            held_target=data.get("held_target"),
            held_checklist=data.get("held_checklist"),
            level_cap=data.get("level_cap"),
            changes=list(data.get("changes", [])),
        )


def _waiver(data: dict[str, Any]) -> Waiver:
    return Waiver(
        item=data["item"],
        reason=data["reason"],
        approver=data["approver"],
        expires=date.fromisoformat(data["expires"]),
        reference=data.get("reference") or "",
        source=data.get("source") or "",
        starts=date.fromisoformat(data["starts"]) if data.get("starts") else None,
        requested_by=data.get("requested_by") or "",
    )


def spec_requests(
    checklist: Checklist, spec: ServiceSpec, baseline: Baseline | None
) -> list[ExemptionRequest]:
    """A move away from the checklist the service is held to, or a lower target on the
    same checklist, needs a grant like any other weakening."""
    if baseline is None:
        return []

    def spec_wide(kind: str, change: str, reason: str) -> list[ExemptionRequest]:
        return [
            ExemptionRequest(
                service=spec.service,
                item="",
                kind=kind,
                change=change,
                reason=reason,
                until=None,
                requested_by=requester(spec, ""),
                source=spec.file,
            )
        ]

    if baseline.checklist != spec.checklist:
        return spec_wide(
            "checklist",
            f"checklist {baseline.checklist} → {spec.checklist}",
            f"the spec names checklist {spec.checklist}",
        )
    if checklist.rank(spec.target_level) < checklist.rank(baseline.target_level):
        return spec_wide(
            "target_level",
            f"target {baseline.target_level} → {spec.target_level}",
            f"the spec lowers its target to {spec.target_level}",
        )
    return []


def grant_store(settings: Settings, spec: ServiceSpec, as_of: datetime) -> EvidenceStore:
    """``<exemptions_root>/<service>``: the compliance team's, never the spec's to name."""
    limits = ReadLimits(settings.max_document_bytes, settings.max_run_bytes)
    return open_service_store(
        settings.exemptions_root,
        settings.project_root,
        spec,
        as_of,
        float(settings.source_deadline_s),
        limits,
    )


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, UTC)


def grant_documents(
    store: EvidenceStore, spec: ServiceSpec, requests: Sequence[ExemptionRequest], as_of: datetime
) -> tuple[list[ExemptionRequest], list[ExemptionDecision], list[str]]:
    """The decisions the grant documents hold, and the register's own requests."""
    by_id = {r.id: r for r in requests}
    extra: list[ExemptionRequest] = []
    decisions: list[ExemptionDecision] = []
    warnings: list[str] = []
    try:
        docs = load_documents(store, "waiver", "waiver/**/*")
        docs += load_documents(store, "waiver", "grant/**/*")
    except (DocumentError, StoreUnavailable) as exc:
        return [], [], [f"{spec.service}: grant documents not read: {exc}"]
    for doc in docs:
        if doc.timestamp > as_of:
            continue
        record = doc.record
        named = str(record.get("request") or "")
        request = by_id.get(named) if named else None
        if named and request is None:
            warnings.append(
                f"{spec.service}: grant {doc.uri} not applied: request {named!r} is not one "
                f"the spec makes (expected one of {sorted(by_id) or 'none'})"
            )
            continue
        if request is None:
            request = next(
                (
                    r
                    for r in requests
                    if r.kind == "waiver"
                    and r.item == record["item"]
                    and record.get("reference")
                    and r.reference == record.get("reference")
                ),
                None,
            )
        if request is None:
            # the register's own: one request per risk, each renewal a new grant of it
            reference = str(record.get("reference") or "")
            request = ExemptionRequest(
                service=spec.service,
                item=record["item"],
                kind="waiver",
                change=f"waive {record['item']}" + (f" ({reference})" if reference else ""),
                reason=record["reason"],
                until=None,
                requested_by=str(record.get("requested_by") or REGISTER),
                reference=reference,
                source=doc.uri,
            )
            if request.id not in by_id:
                extra.append(request)
                by_id[request.id] = request
        starts = record.get("starts")
        decisions.append(
            ExemptionDecision(
                request_id=request.id,
                decision="refused" if record.get("decision") == "refused" else "granted",
                by=str(record["approver"]),
                # a grant counts from its start, else from when it was given
                at=_day_start(date.fromisoformat(starts)) if starts else doc.timestamp,
                until=date.fromisoformat(record["expires"]),
                comment=str(record.get("comment") or record.get("reason") or ""),
                source=doc.uri,
            )
        )
    return extra, decisions, warnings


def store_waiver_warning(store: EvidenceStore, spec: ServiceSpec) -> list[str]:
    """Waiver documents in the team's own store grant nothing: the team writes that store."""
    try:
        found = list(store.list("waiver/**/*"))
    except StoreUnavailable:
        return []
    if not found:
        return []
    return [
        f"{spec.service}: {len(found)} waiver document(s) in the service's own evidence store "
        f"grant nothing (the team writes that store; e.g. {found[0].uri}); grants belong "
        "under the exemptions_root setting"
    ]


def rule_for(checklist: Checklist, request: ExemptionRequest) -> ExemptionRule:
    severity = next((i.severity for i in checklist.items if i.id == request.item), "")
    return checklist.exemptions.rule(severity)


def exemptions_for(
    checklist: Checklist,
    spec: ServiceSpec,
    as_of: datetime,
    *,
    recorded: Sequence[ExemptionDecision],
    grants: EvidenceStore | None,
    store: EvidenceStore | None = None,
    baseline: Baseline | None = None,
) -> Exemptions:
    """Every request's state at ``as_of``, and the waivers the granted ones put in force."""
    # the same entry written twice is one request
    asked = item_requests(checklist, spec) + spec_requests(checklist, spec, baseline)
    requests = list({r.id: r for r in asked}.values())
    out = Exemptions()
    decisions = list(recorded)
    if grants is not None:
        extra, found, warnings = grant_documents(grants, spec, requests, as_of)
        requests += extra
        decisions += found
        out.warnings += warnings
    if store is not None:
        out.warnings += store_waiver_warning(store, spec)
    for request in requests:
        state = resolve(request, decisions, rule_for(checklist, request), as_of)
        out.states.append(state)
        d = state.decision
        if request.kind == "waiver" and state.in_force and d is not None and d.until:
            out.waivers.append(
                Waiver(
                    item=request.item,
                    reason=request.reason,
                    approver=d.by,
                    expires=d.until,
                    reference=request.reference,
                    source=d.source or f"grant of {request.id}",
                    starts=max(d.at.date(), request.starts or d.at.date()),
                    requested_by=request.requested_by,
                )
            )
    if baseline is not None:
        out.changes = changes(checklist, spec, baseline)
        held = out.state_of("checklist")
        if held is not None and not held.in_force:
            out.held_checklist = baseline.checklist
            out.level_cap = baseline.achieved_rank
        lower = out.state_of("target_level")
        if lower is not None and not lower.in_force:
            out.held_target = baseline.target_level
    return out


def changes(checklist: Checklist, spec: ServiceSpec, baseline: Baseline) -> list[str]:
    """What the spec changed since the baseline: recorded as events, raised or lowered."""
    if baseline.checklist != spec.checklist:
        return [f"checklist {baseline.checklist} → {spec.checklist}"]
    if baseline.target_level != spec.target_level:
        way = (
            "raised"
            if checklist.rank(spec.target_level) > checklist.rank(baseline.target_level)
            else "lowered"
        )
        return [f"target {baseline.target_level} → {spec.target_level} ({way})"]
    return []

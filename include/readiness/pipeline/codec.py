"""Evidence and evaluations as plain JSON, so that the stages of a run can execute in
separate processes (Airflow tasks pass them as XComs) and still produce exactly the history
rows and issue bodies a single-process run produces.

Checklists and specs are not serialised: they are named by id and checked by sha256 on the
way back, so a spec edited between two tasks of one run is an error, never a silent mix.
Timestamps inside evidence rows are tagged so they come back as the same type."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from readiness.domain.exemptions import ExemptionState
from readiness.domain.model import (
    Checklist,
    Evidence,
    ExpectationOutcome,
    Item,
    ItemResult,
    ServiceEvaluation,
    ServiceSpec,
    Status,
    Waiver,
)
from readiness.support.errors import ConfigError, Problem
from readiness.support.jsonvalues import decode, jsonable

FORMAT = 1


def _ts(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _parse_ts(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def evidence_to_json(ev: Evidence) -> dict[str, Any]:
    return {
        "rows": jsonable(ev.rows, typed=True),
        "columns": list(ev.columns),
        "uri": ev.uri,
        "sha256": ev.sha256,
        "fetched_at": ev.fetched_at.isoformat(),
        "observed_at": _ts(ev.observed_at),
        "expires_at": _ts(ev.expires_at),
        "found": ev.found,
        "error": ev.error,
        "summary": jsonable(ev.summary, typed=True),
        "transient": ev.transient,
        "outage": ev.outage,
        "sources": [list(pair) for pair in ev.sources],
    }


def evidence_from_json(data: Mapping[str, Any]) -> Evidence:
    fetched = _parse_ts(data["fetched_at"])
    assert fetched is not None
    return Evidence(
        rows=decode(data["rows"]),
        columns=tuple(data["columns"]),
        uri=data["uri"],
        sha256=data["sha256"],
        fetched_at=fetched,
        observed_at=_parse_ts(data["observed_at"]),
        expires_at=_parse_ts(data["expires_at"]),
        found=data["found"],
        error=data["error"],
        summary=decode(data["summary"]),
        transient=data.get("transient", False),
        outage=data.get("outage"),
        sources=tuple((str(u), str(h)) for u, h in data.get("sources", [])),
    )


def _outcome_from_json(data: Mapping[str, Any]) -> ExpectationOutcome:
    return ExpectationOutcome(
        type=data["expectation"],
        kwargs=decode(data["kwargs"]),
        success=data["success"],
        observed=decode(data["observed"]),
        unexpected_count=data["unexpected_count"],
        unexpected_sample=decode(data["unexpected_sample"]),
        error=data["error"],
    )


def _outcome_to_json(outcome: ExpectationOutcome) -> dict[str, Any]:
    data = outcome.as_json()
    return {
        **data,
        "kwargs": jsonable(data["kwargs"], typed=True),
        "observed": jsonable(data["observed"], typed=True),
        "unexpected_sample": jsonable(data["unexpected_sample"], typed=True),
    }


def _waiver_from_json(data: Mapping[str, Any] | None) -> Waiver | None:
    if data is None:
        return None
    return Waiver(
        item=data["item"],
        reason=data["reason"],
        approver=data["approver"],
        expires=date.fromisoformat(data["expires"]),
        reference=data["reference"],
        source=data["source"],
        starts=date.fromisoformat(data["starts"]) if data.get("starts") else None,
        requested_by=data.get("requested_by") or "",
    )


def evaluation_to_json(ev: ServiceEvaluation) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "run_id": ev.run_id,
        "service": ev.service,
        "spec_file": ev.spec.file,
        "spec_sha256": ev.spec.sha256,
        "checklist_id": ev.checklist.id,
        "checklist_sha256": ev.checklist.sha256,
        "evaluated_at": ev.evaluated_at.isoformat(),
        "achieved_level": ev.achieved_level,
        "previous_level": ev.previous_level,
        "target_level": ev.target_level,
        "exemptions": [state.as_json() for state in ev.exemptions],
        "held_checklist": ev.held_checklist,
        "changes": list(ev.changes),
        "inputs": ev.inputs,
        "items": [
            {
                "id": r.item.id,
                "required_from": r.required_from,
                "status": r.status.value,
                "effective_status": r.effective_status.value,
                "previous_status": r.previous_status.value if r.previous_status else None,
                "previous_effective_status": (
                    r.previous_effective_status.value if r.previous_effective_status else None
                ),
                "regressed": r.regressed,
                "reason": r.reason,
                "evidence": evidence_to_json(r.evidence) if r.evidence else None,
                "outcomes": [_outcome_to_json(o) for o in r.outcomes],
                "waiver": r.waiver.as_json() if r.waiver else None,
                "error_streak": r.error_streak,
                "episode_id": r.episode_id,
                "previous_run_id": r.previous_run_id,
                "override": r.override,
                "exemption": r.exemption,
            }
            for r in ev.items
        ],
    }


def evaluation_from_json(
    data: Mapping[str, Any],
    spec: ServiceSpec,
    checklist: Checklist,
    items: Mapping[str, Item],
) -> ServiceEvaluation:
    """Rebuild an evaluation against the spec and checklist loaded now; ``items`` are the
    checklist's items with the spec's overrides applied, by id."""
    problems = []
    if data.get("format") != FORMAT:
        problems.append(f"format {data.get('format')!r}, expected {FORMAT}")
    if data["spec_sha256"] != spec.sha256:
        problems.append(f"{spec.file} changed since this run scored it")
    if data["checklist_sha256"] != checklist.sha256:
        problems.append(f"{checklist.file} changed since this run scored it")
    unknown = [r["id"] for r in data["items"] if r["id"] not in items]
    if unknown:
        problems.append(f"items no longer in the checklist: {', '.join(unknown)}")
    if problems:
        raise ConfigError(
            [Problem(spec.file, "", f"cannot resume run {data['run_id']}: {p}") for p in problems]
        )
    evaluated_at = datetime.fromisoformat(data["evaluated_at"])
    return ServiceEvaluation(
        run_id=data["run_id"],
        service=data["service"],
        spec=spec,
        checklist=checklist,
        evaluated_at=evaluated_at,
        achieved_level=data["achieved_level"],
        previous_level=data["previous_level"],
        target_level=data["target_level"],
        items=tuple(
            ItemResult(
                service=data["service"],
                item=items[r["id"]],
                required_from=r["required_from"],
                status=Status(r["status"]),
                effective_status=Status(r["effective_status"]),
                previous_status=Status(r["previous_status"]) if r["previous_status"] else None,
                previous_effective_status=(
                    Status(r["previous_effective_status"])
                    if r.get("previous_effective_status")
                    else None
                ),
                regressed=r["regressed"],
                reason=r["reason"],
                evidence=evidence_from_json(r["evidence"]) if r["evidence"] else None,
                outcomes=tuple(_outcome_from_json(o) for o in r["outcomes"]),
                waiver=_waiver_from_json(r["waiver"]),
                error_streak=r["error_streak"],
                episode_id=r["episode_id"],
                previous_run_id=r.get("previous_run_id", ""),
                override=r.get("override", ""),
                exemption=r.get("exemption"),
            )
            for r in data["items"]
        ),
        exemptions=tuple(ExemptionState.from_json(e) for e in data.get("exemptions", [])),
        held_checklist=data.get("held_checklist"),
        changes=tuple(data.get("changes", [])),
        inputs=dict(data.get("inputs") or {}),
    )

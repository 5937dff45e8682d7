"""Build the history rows of an evaluation once, for every backend."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from readiness.domain.model import ServiceEvaluation
from readiness.history import RunMeta
from readiness.support.jsonvalues import jsonable


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(jsonable(value), sort_keys=True)


def evaluation_row(ev: ServiceEvaluation, meta: RunMeta, recorded_at: datetime) -> dict[str, Any]:
    checklist = ev.checklist
    counts = ev.counts()
    return {
        "run_id": ev.run_id,
        "run_key": meta.run_key,
        "service": ev.service,
        "evaluated_at": ev.evaluated_at,
        "recorded_at": recorded_at,
        "logical_date": meta.logical_date,
        "dag_id": meta.dag_id,
        "dag_run_id": meta.dag_run_id,
        "trigger": meta.trigger,
        "checklist_id": checklist.id,
        "checklist_version": checklist.version,
        "checklist_sha256": checklist.sha256,
        "spec_sha256": ev.spec.sha256,
        "target_level": ev.target_level,
        "achieved_level": ev.achieved_level,
        "previous_level": ev.previous_level,
        "target_rank": checklist.rank(ev.target_level),
        "achieved_rank": checklist.rank(ev.achieved_level),
        "previous_rank": None if ev.previous_level is None else checklist.rank(ev.previous_level),
        "downgraded": ev.downgraded,
        "regressions": len(ev.regressions),
        **{f"count_{status}": count for status, count in counts.items()},
        "items": len(ev.items),
        "report_uri": None,
        "exemptions_pending": sum(1 for s in ev.exemptions if not s.in_force),
        "held_checklist": ev.held_checklist,
        "exemptions": _json([state.as_json() for state in ev.exemptions]),
    }


def item_rows(ev: ServiceEvaluation) -> list[dict[str, Any]]:
    rows = []
    for r in ev.items:
        evidence = r.evidence
        observed: dict[str, Any] | None = None
        if evidence is not None:
            observed = {
                "summary": evidence.summary,
                "rows": evidence.rows[:20],
                "row_count": len(evidence.rows),
            }
        rows.append(
            {
                "run_id": ev.run_id,
                "service": ev.service,
                "item_id": r.item.id,
                "section": r.item.section,
                "title": r.item.title,
                "required_from": r.required_from,
                "required_rank": ev.checklist.rank(r.required_from),
                "severity": r.item.severity,
                "status": r.status.value,
                "effective_status": r.effective_status.value,
                "previous_status": r.previous_status.value if r.previous_status else None,
                "regressed": r.regressed,
                "error_streak": r.error_streak,
                "episode_id": r.episode_id,
                "reason": r.reason,
                "observed": _json(observed),
                "expectations": _json([o.as_json() for o in r.outcomes]),
                "evidence_kind": r.item.evidence.kind,
                "evidence_uri": evidence.uri if evidence else None,
                "evidence_sha256": evidence.sha256 if evidence else None,
                "evidence_observed_at": evidence.observed_at if evidence else None,
                "evidence_fetched_at": evidence.fetched_at if evidence else None,
                "evidence_expires_at": evidence.expires_at if evidence else None,
                "waiver": _json(r.waiver.as_json() if r.waiver else None),
                "evaluated_at": ev.evaluated_at,
                "spec_override": r.override or None,
                "exemption": _json(r.exemption),
                "exemption_state": r.exemption["state"] if r.exemption else None,
            }
        )
    return rows


def _event_id(*parts: Any) -> str:
    import hashlib

    text = json.dumps(jsonable(list(parts)), sort_keys=True, separators=(",", ":"))
    return "EXV-" + hashlib.sha256(text.encode()).hexdigest()[:16]


def exemption_event_rows(ev: ServiceEvaluation) -> list[dict[str, Any]]:
    """The events a run puts on record: each request the first time it is seen, what a
    grant document decided, each grant refused (self-granted, too long, …), each lapse, and a
    change of checklist or target. Ids are digests, so a re-run adds nothing twice."""
    from readiness.domain.exemptions import lapse_day

    rows: list[dict[str, Any]] = []

    def add(event_id: str, state: Any, event: str, actor: str, at: datetime, **more: Any) -> None:
        r = state.request
        rows.append(
            {
                "event_id": event_id,
                "service": ev.service,
                "request_id": r.id,
                "item_id": r.item or None,
                "kind": r.kind,
                "event": event,
                "actor": actor,
                "occurred_at": at,
                "valid_until": more.get("until"),
                "comment": more.get("comment", ""),
                "source": more.get("source", ""),
                "run_id": ev.run_id,
                "detail": _json(more.get("detail")),
            }
        )

    for state in ev.exemptions:
        r, d = state.request, state.decision
        add(
            _event_id(r.id, "requested"),
            state,
            "requested",
            r.requested_by,
            ev.evaluated_at,
            until=r.until,
            comment=r.reason,
            source=r.source,
            detail=r.as_json(),
        )
        if d is not None and not d.source.startswith("airflow:"):  # a grant document's
            add(
                d.event_id,
                state,
                d.decision,
                d.by,
                d.at,
                until=d.until,
                comment=d.comment,
                source=d.source,
            )
        for grant, why in state.refused_grants:
            if not grant.source.startswith("airflow:"):  # Airflow's are recorded when given
                add(
                    _event_id(grant.event_id, "grant_refused"),
                    state,
                    "grant_refused",
                    grant.by,
                    grant.at,
                    until=grant.until,
                    comment=why,
                    source=grant.source,
                )
        lapsed = lapse_day(state)
        if lapsed is not None and d is not None:
            add(
                _event_id(d.event_id, "lapsed"),
                state,
                "lapsed",
                "readiness",
                lapsed,
                until=d.until,
                comment=f"the grant by {d.by} ended on {d.until}",
                source=d.source,
            )
    for change in ev.changes:
        rows.append(
            {
                "event_id": _event_id(ev.service, "changed", change, ev.spec.sha256),
                "service": ev.service,
                "request_id": None,
                "item_id": None,
                "kind": "checklist" if change.startswith("checklist") else "target_level",
                "event": "changed",
                "actor": f"team:{ev.spec.owner_team}",
                "occurred_at": ev.evaluated_at,
                "valid_until": None,
                "comment": change,
                "source": ev.spec.file,
                "run_id": ev.run_id,
                "detail": None,
            }
        )
    return rows

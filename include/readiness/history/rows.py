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
            }
        )
    return rows

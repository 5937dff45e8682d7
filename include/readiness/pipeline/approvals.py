"""Putting exemption requests to the people who may grant them, and recording their answers.

The ``readiness__exemptions`` DAG turns each request that waits for a decision into one
human-in-the-loop task (Airflow's Required Actions), assigned to the checklist's approvers
less the requester. This module is the part that does not need Airflow: which requests wait
(:func:`awaiting`), what the approval says (:class:`Approval`), and what an answer puts on
record (:func:`answer`), where a grant by the requester, by someone the checklist does not
name, or for longer than ``max_duration`` is refused and recorded as ``grant_refused``."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from readiness.domain.exemptions import ExemptionRequest, grant_problem
from readiness.history import HistoryStore
from readiness.pipeline.engine import ServicePlan
from readiness.pipeline.exemptions import rule_for
from readiness.spec.config import Settings
from readiness.spec.loader import Catalog

GRANT, REFUSE = "Grant", "Refuse"
OPTIONS = [GRANT, REFUSE]


def _event_id(*parts: Any) -> str:
    return "EXV-" + hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Approval:
    """One request put to its approvers."""

    request: ExemptionRequest
    #: Who may answer: the checklist's approvers less the requester (empty: anyone Airflow
    #: lets respond, the requester still refused on answer).
    approvers: tuple[str, ...]
    max_days: int | None
    #: The last day a grant given today may run to.
    latest_until: date | None

    @property
    def subject(self) -> str:
        r = self.request
        what = f"{r.item}: " if r.item else ""
        return f"Exemption for {r.service} — {what}{r.change}"[:250]

    @property
    def body(self) -> str:
        r = self.request
        asked = r.until.isoformat() if r.until else "no end (a change of the spec)"
        limit = (
            f"at most {self.max_days} days: a grant may run until {self.latest_until} at the latest"
            if self.max_days is not None
            else "no limit set by the checklist"
        )
        who = ", ".join(self.approvers) or "anyone Airflow lets answer, except the requester"
        return "\n".join(
            [
                f"**{r.id}** — `{r.kind}` requested by `{r.requested_by}` in `{r.source}`.",
                "",
                f"- change: {r.change}",
                f"- reason: {r.reason or '(none given)'}",
                f"- asked until: {asked}",
                f"- reference: {r.reference or '—'}",
                f"- length allowed: {limit}",
                f"- may answer: {who}",
                "",
                "Grant sets `until` (empty: the day asked for); a grant longer than allowed,",
                "or by the requester, is refused and recorded.",
            ]
        )

    @property
    def assigned_users(self) -> list[dict[str, str]]:
        return [{"id": a, "name": a} for a in self.approvers]

    def as_kwargs(self) -> dict[str, Any]:
        """The mapped HITL task's arguments (no secrets: a request is the spec's text)."""
        return {
            "subject": self.subject,
            "body": self.body,
            "assigned_users": self.assigned_users or None,
            "request": self.request.as_json(),
        }


def awaiting(
    settings: Settings, catalog: Catalog, history: HistoryStore, now: datetime
) -> list[Approval]:
    """Requests of the specs now that are neither in force nor refused, and that are not
    already put to someone (their latest event is not ``asked``)."""
    out: list[Approval] = []
    for service in sorted(catalog.specs):
        plan = ServicePlan.of(catalog, service, now.date())
        states = plan.exemptions(settings, history, now, check_store=False).states
        latest: dict[str, str] = {}
        for event in history.exemption_events(service):
            if event["request_id"]:
                latest[event["request_id"]] = event["event"]
        for state in states:
            if (
                state.state not in ("requested", "lapsed")
                or latest.get(state.request.id) == "asked"
            ):
                continue
            rule = rule_for(plan.checklist, state.request)
            approvers = tuple(a for a in rule.approvers if a != state.request.requested_by)
            until = now.date() + timedelta(days=rule.max_days) if rule.max_days else None
            out.append(Approval(state.request, approvers, rule.max_days, until))
    return out


def _row(
    request: ExemptionRequest,
    event: str,
    actor: str,
    at: datetime,
    *,
    until: date | None = None,
    comment: str = "",
    source: str = "",
) -> dict[str, Any]:
    return {
        "event_id": _event_id(request.id, event, actor, at.isoformat(), until, source),
        "service": request.service,
        "request_id": request.id,
        "item_id": request.item or None,
        "kind": request.kind,
        "event": event,
        "actor": actor,
        "occurred_at": at,
        "valid_until": until,
        "comment": comment,
        "source": source,
        "run_id": None,
        "detail": None,
    }


#: Events after which a request is put to its approvers again: each starts a new round.
REASKED = ("grant_refused", "unanswered", "lapsed")


def asked(history: HistoryStore, request: Mapping[str, Any], at: datetime, source: str) -> bool:
    """Open the approval of ``request``'s current round, unless another one holds it. The
    round is named after the event that ended the last one, so two runs that list the same
    waiting request (an hourly tick beside a triggered run) record one ``asked`` between
    them, and only the one that recorded it asks anyone. True when this call did."""
    r = ExemptionRequest.from_json(dict(request))
    ends = [e["event_id"] for e in history.exemption_events(r.service) if e["request_id"] == r.id
            and e["event"] in REASKED]  # fmt: skip
    row = _row(r, "asked", "readiness", at, source=source)
    row["event_id"] = _event_id(r.id, "asked", ends[-1] if ends else "first")
    return history.save_events([row]) == 1


def unanswered(
    history: HistoryStore, request: Mapping[str, Any], at: datetime, source: str
) -> None:
    """Nobody answered in time: the request waits again, and is asked again."""
    r = ExemptionRequest.from_json(dict(request))
    history.save_events(
        [_row(r, "unanswered", "readiness", at, comment="no answer in time", source=source)]
    )


def answer(
    catalog: Catalog,
    history: HistoryStore,
    request: Mapping[str, Any],
    *,
    chosen: Sequence[str],
    params: Mapping[str, Any],
    responder: Mapping[str, Any],
    responded_at: datetime,
    source: str,
) -> dict[str, Any]:
    """Record one answer: ``granted``, ``refused``, or ``grant_refused`` with why. Returns
    the event recorded. ``responder`` is Airflow's ``responded_by_user`` (who Airflow's auth
    says answered), never a value the answer itself carries."""
    r = ExemptionRequest.from_json(dict(request))
    by = str(responder.get("name") or responder.get("id") or "")
    comment = str(params.get("comment") or "")
    if REFUSE in chosen:
        row = _row(r, "refused", by, responded_at, comment=comment, source=source)
    else:
        text = str(params.get("until") or "").strip()
        try:
            until = date.fromisoformat(text) if text else r.until
            problem = None
        except ValueError:
            until, problem = None, f"until {text!r} is not a date (expected YYYY-MM-DD)"
        spec = catalog.specs.get(r.service)
        if problem is None and spec is None:
            problem = f"no spec defines {r.service} any more"
        if problem is None and spec is not None:
            rule = rule_for(catalog.checklist_for(spec), r)
            problem = grant_problem(r, rule, by, responded_at, until)
        if problem:
            row = _row(
                r, "grant_refused", by, responded_at, until=until, comment=problem, source=source
            )
        else:
            row = _row(r, "granted", by, responded_at, until=until, comment=comment, source=source)
    history.save_events([row])
    return {k: (v.isoformat() if isinstance(v, date | datetime) else v) for k, v in row.items()}

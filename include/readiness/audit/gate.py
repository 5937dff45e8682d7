"""The deploy gate: is a service at or above a level now, and does it meet the level's
promotion rule? ``readiness gate`` prints this answer; anything else that must give the same
answer (a deploy hook, a page) calls :func:`decide` too."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from readiness.audit.promotion import PromotionVerdict, assess_promotion
from readiness.audit.verify import signed_predicate
from readiness.domain.model import SATISFIED_VALUES, Status
from readiness.domain.scoring import blocking_items
from readiness.domain.verdicts import Verdict
from readiness.history import HistoryStore, ServiceSnapshot
from readiness.spec.loader import Catalog
from readiness.support.dsse import Keyring, SignatureProblem

YES, NO, UNKNOWN = "yes", "no", "unknown"


@dataclass(frozen=True)
class GateAnswer:
    """``answer`` is yes, no or unknown; ``reason`` the one line that says why."""

    answer: str
    reason: str
    snapshot: ServiceSnapshot | None = None
    #: The failing rows (from history) required at or below the level asked for.
    blocking: list[dict[str, Any]] = field(default_factory=list)
    promotion: PromotionVerdict | None = None
    #: The signed verdict the answer rests on (``service#n sha256:…``), or why there is none.
    verdict: str = ""


def decide(
    catalog: Catalog,
    history: HistoryStore,
    service: str,
    level: str,
    now: datetime,
    max_age: timedelta,
    keyring: Keyring | None = None,
    from_chain: bool = False,
) -> GateAnswer:
    """The gate's answer from history, with a ``keyring`` vouched for by the chain: the
    verdict in force (the run's latest; ``from_chain``: the chain's verdict of the latest
    evaluation as of ``now``, what the gate said then) must verify and say what history
    says, the level and every failing item, or the answer is unknown."""
    spec = catalog.specs.get(service)
    if spec is None:
        return GateAnswer(UNKNOWN, f"service {service!r} is not defined")
    checklist = catalog.checklist_for(spec)
    try:
        checklist.rank(level)
    except KeyError:
        levels = ", ".join(lv.id for lv in checklist.levels)
        return GateAnswer(UNKNOWN, f"level {level!r} is not in {checklist.id} ({levels})")
    snap = history.snapshot(service, as_of=now)
    if snap is None:
        return GateAnswer(UNKNOWN, f"{service} has never been evaluated")
    if keyring is None:
        return _decide(catalog, history, service, level, now, max_age, snap)
    signed = history.verdict_at(service, now) if from_chain else None
    signed = signed or history.run_verdict(service, snap.run_id)
    refused = _vouch(snap, signed, keyring)
    if refused:
        return GateAnswer(UNKNOWN, refused, snap, verdict=signed.reference if signed else "")
    answer = _decide(catalog, history, service, level, now, max_age, snap)
    words = signed.reference if signed else "none: recorded before verdicts were signed"
    return replace(answer, verdict=words)


def _vouch(snap: ServiceSnapshot, signed: Verdict | None, keyring: Keyring) -> str:
    """Why history cannot be trusted for this answer ('' when it can): the verdict does
    not verify, or it names another run, level or set of failing items than history."""
    if signed is None:
        return ""
    try:
        pred = signed_predicate(signed, keyring)
    except (SignatureProblem, ValueError, KeyError) as exc:
        return f"the verdict {signed.reference} does not verify: {exc}; run readiness verify"
    failing = sorted(
        i["id"] for i in pred["items"] if i["effective_status"] not in SATISFIED_VALUES
    )
    recorded = sorted(row["item_id"] for row in snap.failing)
    said = (pred["run"]["id"], pred["achieved_level"], failing)
    if said != (snap.run_id, snap.achieved_level, recorded):
        return (
            f"history says {snap.service} is at {snap.achieved_level} with {len(recorded)} "
            f"failing item(s) (run {snap.run_id}); its signed verdict {signed.reference} says "
            f"{pred['achieved_level']} with {len(failing)} (run {pred['run']['id']}); run "
            "readiness verify"
        )
    return ""


def _decide(
    catalog: Catalog,
    history: HistoryStore,
    service: str,
    level: str,
    now: datetime,
    max_age: timedelta,
    snap: ServiceSnapshot,
) -> GateAnswer:
    spec = catalog.specs[service]
    checklist = catalog.checklist_for(spec)
    wanted = checklist.rank(level)
    if now - snap.evaluated_at > max_age:
        return GateAnswer(
            UNKNOWN,
            f"the latest evaluation of {service} is from {snap.evaluated_at.isoformat()}, "
            f"older than {max_age}",
            snap,
        )
    verdict = None
    rule = checklist.promotions.get(level)
    if rule is not None:
        timeline = [r for r in history.timeline(service, None) if r["evaluated_at"] <= now]
        failing = {row["item_id"]: row for row in snap.failing}
        verdict = assess_promotion(rule, checklist, failing, timeline, now)
    if snap.achieved_rank >= wanted:
        answer = YES if verdict is None or verdict.met else NO
        reason = (
            f"{service} is at {snap.achieved_level} (≥ {level}) as of "
            f"{snap.evaluated_at.isoformat()}"
        )
        return GateAnswer(answer, reason, snap, [], verdict)
    ids = set(
        blocking_items(
            checklist,
            level,
            (
                (r["item_id"], r["required_from"], Status(r["effective_status"]))
                for r in snap.failing
            ),
        )
    )
    blocking = [row for row in snap.failing if row["item_id"] in ids]
    reason = (
        f"{service} is at {snap.achieved_level}, below {level}; {len(blocking)} item(s) block it:"
    )
    return GateAnswer(NO, reason, snap, blocking, verdict)

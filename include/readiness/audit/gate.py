"""The deploy gate: is a service at or above a level now, and does it meet the level's
promotion rule? ``readiness gate`` prints this answer; anything else that must give the same
answer (a deploy hook, a page) calls :func:`decide` too."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from readiness.audit.promotion import PromotionVerdict, assess_promotion
from readiness.domain.model import Status
from readiness.domain.scoring import blocking_items
from readiness.history import HistoryStore, ServiceSnapshot
from readiness.spec.loader import Catalog

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


def decide(
    catalog: Catalog,
    history: HistoryStore,
    service: str,
    level: str,
    now: datetime,
    max_age: timedelta,
) -> GateAnswer:
    spec = catalog.specs.get(service)
    if spec is None:
        return GateAnswer(UNKNOWN, f"service {service!r} is not defined")
    checklist = catalog.checklist_for(spec)
    try:
        wanted = checklist.rank(level)
    except KeyError:
        levels = ", ".join(lv.id for lv in checklist.levels)
        return GateAnswer(UNKNOWN, f"level {level!r} is not in {checklist.id} ({levels})")
    snap = history.snapshot(service, as_of=now)
    if snap is None:
        return GateAnswer(UNKNOWN, f"{service} has never been evaluated")
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

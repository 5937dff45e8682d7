"""Great Expectations tasks of a service's items, and scoring them: status, error grace,
regressions, episodes and the level."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from readiness.domain.exemptions import ExemptionState
from readiness.domain.model import (
    NO_LEVEL,
    SATISFIED,
    Checklist,
    Evidence,
    Item,
    ItemOverride,
    ItemResult,
    PriorItemState,
    ServiceEvaluation,
    ServiceSpec,
    Status,
    Waiver,
)
from readiness.domain.scoring import (
    achieved_level,
    apply_grace,
    episode_id,
    is_regression,
    resolve_status,
)
from readiness.pipeline.exemptions import Exemptions
from readiness.pipeline.validation import TaskResult, ValidationTask

log = logging.getLogger(__name__)


def task_key(service: str, item_id: str) -> str:
    """The key of one item of one service in a validation batch."""
    return f"{service}\x1f{item_id}"


def validation_tasks(
    service: str, items: Sequence[tuple[Item, str | None]], evidence: dict[str, Evidence]
) -> list[ValidationTask]:
    """What GX has to check: items whose evidence was found and read without error."""
    return [
        ValidationTask(
            key=task_key(service, item.id), expectations=item.expectations, evidence=found
        )
        for item, _na in items
        if (found := evidence.get(item.id)) is not None and found.found and not found.error
    ]


def _capped(checklist: Checklist, level: str, cap_rank: int | None) -> str:
    """``level``, or the highest level of rank ``cap_rank`` or below when it is higher."""
    if cap_rank is None or checklist.rank(level) <= cap_rank:
        return level
    below = [lv for lv in checklist.levels if lv.rank <= cap_rank]
    return max(below, key=lambda lv: lv.rank).id if below else NO_LEVEL


def score_service(
    *,
    run_id: str,
    spec: ServiceSpec,
    checklist: Checklist,
    as_of: datetime,
    items: Sequence[tuple[Item, str | None]],
    evidence: dict[str, Evidence],
    validated: dict[str, TaskResult],
    waivers: Sequence[Waiver],
    prior: dict[str, PriorItemState],
    previous_level: str | None,
    grace_runs: int,
    exemptions: Exemptions | None = None,
) -> ServiceEvaluation:
    exemptions = exemptions or Exemptions()
    today = as_of.date()
    severity = {item.id: item.severity for item in checklist.items}
    in_force: dict[str, Waiver] = {}
    for waiver in waivers:
        longest = checklist.exemptions.rule(severity.get(waiver.item, "")).max_days
        if waiver.in_force(today, longest) and (
            waiver.item not in in_force or waiver.expires > in_force[waiver.item].expires
        ):
            in_force[waiver.item] = waiver
    results: list[ItemResult] = []
    for item, not_applicable in items:
        ev = evidence.get(item.id)
        task = validated.get(task_key(spec.service, item.id))
        outcomes = tuple(task.outcomes) if task else ()
        item_waiver = in_force.get(item.id)
        status, reason = resolve_status(
            item, ev, outcomes, task.error if task else None, item_waiver, not_applicable, as_of
        )
        asked = [s for s in exemptions.states if s.request.item == item.id]
        pending = [s for s in asked if not s.in_force]
        if pending and status not in SATISFIED:
            reason += "; " + "; ".join(s.words() for s in pending)
        before = prior.get(item.id)
        override = spec.overrides.get(item.id)
        effective, streak = apply_grace(status, before, grace_runs)
        if status is Status.ERROR and effective is not Status.ERROR:
            reason += f" (error {streak} of {grace_runs} allowed; counting as {effective.value})"
        regressed = is_regression(before, effective)
        if regressed:
            # named after the state it regressed from (``before`` exists: a regression
            # needs a passing past), so racing runs from one prior state share it
            episode: str | None = episode_id(
                spec.service, item.id, f"after:{before.run_id}" if before else run_id
            )
        elif effective in SATISFIED:
            episode = None
        else:
            episode = before.episode_id if before else None
        results.append(
            ItemResult(
                service=spec.service,
                item=item,
                required_from=item.required_from,
                status=status,
                effective_status=effective,
                previous_status=before.status if before else None,
                previous_effective_status=before.effective_status if before else None,
                previous_run_id=before.run_id if before else "",
                regressed=regressed,
                reason=reason,
                evidence=ev,
                outcomes=outcomes,
                waiver=item_waiver,
                error_streak=streak,
                episode_id=episode,
                override=_override_words(override, asked),
                exemption=asked[-1].as_json() if asked else None,
            )
        )
    level = achieved_level(
        checklist.levels,
        ((r.required_from, r.item.required_until, r.effective_status) for r in results),
    )
    level = _capped(checklist, level, exemptions.level_cap)
    return ServiceEvaluation(
        run_id=run_id,
        service=spec.service,
        spec=spec,
        checklist=checklist,
        evaluated_at=as_of,
        achieved_level=level,
        previous_level=previous_level,
        target_level=exemptions.held_target or spec.target_level,
        items=tuple(results),
        exemptions=tuple(exemptions.states),
        held_checklist=exemptions.held_checklist,
        changes=tuple(exemptions.changes),
        inputs=scoring_inputs(exemptions, prior, previous_level, grace_runs),
    )


def scoring_inputs(
    exemptions: Exemptions,
    prior: dict[str, PriorItemState],
    previous_level: str | None,
    grace_runs: int,
) -> dict[str, Any]:
    """Everything ``score_service`` reads besides the spec, checklist and evidence, as
    JSON: archived with the verdict, so ``readiness verify --rederive`` scores again on
    exactly what this run had, years later."""
    return {
        "exemptions": exemptions.as_json(),
        "prior": {
            item: {
                "status": p.status.value,
                "effective_status": p.effective_status.value,
                "error_streak": p.error_streak,
                "reason": p.reason,
                "episode_id": p.episode_id,
                "run_id": p.run_id,
            }
            for item, p in sorted(prior.items())
        },
        "previous_level": previous_level,
        "grace_runs": grace_runs,
    }


def prior_from_inputs(inputs: dict[str, Any]) -> dict[str, PriorItemState]:
    return {
        item: PriorItemState(
            status=Status(p["status"]),
            effective_status=Status(p["effective_status"]),
            error_streak=int(p["error_streak"]),
            reason=p["reason"],
            episode_id=p["episode_id"],
            run_id=p["run_id"],
        )
        for item, p in inputs.get("prior", {}).items()
    }


def _override_words(override: ItemOverride | None, asked: Sequence[ExemptionState]) -> str:
    """The override in words, saying whether its weakening is granted or only requested."""
    if override is None:
        return ""
    own = [s for s in asked if s.request.kind != "waiver"]
    if not own:
        return override.description
    return f"{override.description} ({own[-1].words()})"

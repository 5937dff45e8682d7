"""Promotion rules for the deploy gate: entering a level can take more than its items being
satisfied today. Seed 004 §15 (GA exit criteria from Pilot) asks for the pilot to have run
≥ 4 weeks, which only history can tell, and names the criteria a release manager reads."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from readiness.domain.model import Checklist, PromotionRule
from readiness.support.timeutil import format_duration


@dataclass(frozen=True)
class Criterion:
    name: str
    met: bool
    detail: str


@dataclass(frozen=True)
class PromotionVerdict:
    rule: PromotionRule
    criteria: tuple[Criterion, ...]

    @property
    def met(self) -> bool:
        return all(c.met for c in self.criteria)


def held_since(
    checklist: Checklist, level: str, timeline: Sequence[Mapping[str, Any]]
) -> datetime | None:
    """Since when the service has been at ``level`` or better without a break (None: it is
    not there in the latest evaluation). ``timeline``: evaluations, oldest first."""
    wanted = checklist.rank(level)
    since: datetime | None = None
    for row in timeline:
        if checklist.rank(row["achieved_level"]) >= wanted:
            since = since or row["evaluated_at"]
        else:
            since = None
    return since


def assess_promotion(
    rule: PromotionRule,
    checklist: Checklist,
    failing: Mapping[str, Mapping[str, Any]],
    timeline: Sequence[Mapping[str, Any]],
    now: datetime,
) -> PromotionVerdict:
    """The rule against the latest evaluation (``failing``: item id → its row, for items not
    satisfied) and the level timeline."""
    criteria: list[Criterion] = []
    if rule.held_for is not None:
        since = held_since(checklist, rule.from_level, timeline)
        wanted = format_duration(rule.held_for)
        if since is None:
            criteria.append(
                Criterion(
                    f"held {rule.from_level} or better for {wanted}",
                    False,
                    f"not at {rule.from_level} in the latest evaluation",
                )
            )
        else:
            held = now - since
            first = timeline[0]["evaluated_at"] if timeline else since
            detail = f"since {since:%Y-%m-%d} ({held.days} d)"
            if held < rule.held_for and since == first:
                detail += f"; history begins {first:%Y-%m-%d}"
            criteria.append(
                Criterion(
                    f"held {rule.from_level} or better for {wanted}", held >= rule.held_for, detail
                )
            )
    for item_id in rule.criteria:
        item = checklist.item(item_id)
        row = failing.get(item_id)
        if row is None:
            criteria.append(Criterion(f"{item_id} {item.title}", True, "satisfied"))
        else:
            criteria.append(
                Criterion(
                    f"{item_id} {item.title}",
                    False,
                    str(row.get("reason") or row.get("effective_status") or "not satisfied"),
                )
            )
    return PromotionVerdict(rule, tuple(criteria))

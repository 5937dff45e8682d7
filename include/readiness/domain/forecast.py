"""When a service's level lapses if nothing is renewed.

Every satisfied item stops counting at a moment known today: its evidence turns stale at
``observed_at + max_age``; a sign-off counts until its ``expires_at`` (the end of the quarter
after signing); a waiver until the end of its last day. Replaying those moments through the
level rule gives, per service, the next moment its level drops, the level it falls to and
the items that cause it, and the first moment it falls below its target. Pure: history and
the CLI feed it; nothing here reads a clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import groupby
from typing import Any

from readiness.domain.model import NO_LEVEL, SATISFIED_VALUES, Level, ServiceEvaluation, Status
from readiness.domain.scoring import achieved_level
from readiness.support.timeutil import format_duration

#: Evidence this fresh is renewed by tooling on every run (probes, SLO feeds, freshness):
#: a forecast that said "lapses tomorrow" for each would hide the lapses a person must
#: prevent. Such items are assumed to keep up, and counted.
RENEWED_BY_TOOLING = timedelta(days=2)


@dataclass(frozen=True)
class ItemClock:
    """One item as the forecast sees it: where it counts, whether it counts now, and the
    moment it stops counting (None: it does not expire, or it does not count now)."""

    item_id: str
    title: str
    required_from: str
    required_until: str | None
    satisfied: bool
    stops_at: datetime | None = None
    #: Why it stops then, in words ("drill_report from 2026-12-01 older than max_age 8d").
    why: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "item_id": self.item_id,
            "title": self.title,
            "stops_at": self.stops_at.isoformat() if self.stops_at else None,
            "why": self.why,
        }


def end_of_day(day: date) -> datetime:
    """The moment after ``day``'s last: what a waiver's ``expires`` date means."""
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC)


def clock(
    *,
    item_id: str,
    title: str,
    required_from: str,
    required_until: str | None,
    effective_status: str,
    observed_at: datetime | None,
    max_age: timedelta | None,
    expires_at: datetime | None,
    waiver_expires: date | None,
) -> ItemClock:
    """The item's clock from what its last evaluation recorded."""
    satisfied = effective_status in SATISFIED_VALUES
    base = ItemClock(item_id, title, required_from, required_until, satisfied)
    if effective_status == Status.WAIVED.value and waiver_expires is not None:
        return _with(base, end_of_day(waiver_expires), f"waiver expires {waiver_expires}")
    if effective_status != Status.PASS.value:
        return base
    candidates: list[tuple[datetime, str]] = []
    if observed_at is not None and max_age is not None:
        candidates.append(
            (
                observed_at + max_age,
                f"evidence from {observed_at.date()} turns older than max_age "
                f"{format_duration(max_age)}",
            )
        )
    if expires_at is not None:
        last = (expires_at - timedelta(days=1)).date()
        candidates.append((expires_at, f"sign-off expires after {last}"))
    if not candidates:
        return base
    when, why = min(candidates)
    return _with(base, when, why)


def _with(base: ItemClock, when: datetime, why: str) -> ItemClock:
    return ItemClock(
        base.item_id, base.title, base.required_from, base.required_until, True, when, why
    )


@dataclass(frozen=True)
class LevelLapse:
    """The level drops at ``at``, from ``level`` to ``falls_to``, because of ``causes``."""

    at: datetime
    level: str
    falls_to: str
    causes: tuple[ItemClock, ...]

    def words(self) -> str:
        causes = "; ".join(f"{c.item_id} {c.title}: {c.why}" for c in self.causes)
        return f"{self.level} lapses on {self.at.date()} (falls to {self.falls_to}): {causes}"

    def as_json(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "level": self.level,
            "falls_to": self.falls_to,
            "causes": [c.as_json() for c in self.causes],
        }


@dataclass(frozen=True)
class Forecast:
    service: str
    as_of: datetime
    until: datetime
    level: str
    target: str
    #: Every drop of the level before ``until``, in time order (the first is the next lapse).
    drops: tuple[LevelLapse, ...] = ()
    #: The first drop that takes the service below its target (None: none before ``until``,
    #: or it is below already).
    below_target: LevelLapse | None = None
    #: Satisfied items that stop counting before ``until``, soonest first.
    due: tuple[ItemClock, ...] = field(default_factory=tuple)
    #: Items whose evidence tooling renews on every run (``max_age`` of a day or two),
    #: assumed to keep up rather than forecast to lapse tomorrow.
    renewed_by_tooling: int = 0

    @property
    def next(self) -> LevelLapse | None:
        return self.drops[0] if self.drops else None

    def words(self) -> str:
        if self.level == NO_LEVEL:
            return "below every level: nothing to lapse"
        if self.next is None:
            horizon = format_duration(self.until - self.as_of)
            return f"{self.level} holds for the next {horizon} if nothing else changes"
        return self.next.words()

    def as_json(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "as_of": self.as_of.isoformat(),
            "until": self.until.isoformat(),
            "level": self.level,
            "target": self.target,
            "next_lapse": self.next.as_json() if self.next else None,
            "below_target": self.below_target.as_json() if self.below_target else None,
            "drops": [d.as_json() for d in self.drops],
            "due": [c.as_json() for c in self.due],
            "renewed_by_tooling": self.renewed_by_tooling,
        }


def forecast(
    service: str,
    levels: tuple[Level, ...],
    clocks: list[ItemClock],
    *,
    level_now: str,
    target: str,
    as_of: datetime,
    until: datetime,
    renewed_by_tooling: int = 0,
) -> Forecast:
    """Replay each clock's moment, soonest first, through the level rule. ``level_now`` is
    the level history recorded (a cap or a promotion rule may hold it below what the items
    alone reach): the forecast never says a service rises."""
    rank = {lv.id: lv.rank for lv in levels}
    rank[NO_LEVEL] = -1
    failing = {c.item_id for c in clocks if not c.satisfied}

    def level() -> str:
        reached = achieved_level(
            levels,
            (
                (
                    c.required_from,
                    c.required_until,
                    Status.FAIL if c.item_id in failing else Status.PASS,
                )
                for c in clocks
            ),
        )
        return reached if rank[reached] < rank.get(level_now, -1) else level_now

    due = sorted(
        (c for c in clocks if c.satisfied and c.stops_at and as_of < c.stops_at <= until),
        key=lambda c: (c.stops_at, c.item_id),
    )
    drops: list[LevelLapse] = []
    before = level()
    for at, group in groupby(due, key=lambda c: c.stops_at):
        lapsing = list(group)
        failing.update(c.item_id for c in lapsing)
        after = level()
        if rank[after] < rank[before]:
            causes = tuple(c for c in lapsing if _counts_at(c, before, rank))
            drops.append(LevelLapse(at, before, after, causes or tuple(lapsing)))
        before = after
    below = None
    if rank.get(level_now, -1) >= rank.get(target, 0):
        below = next((d for d in drops if rank[d.falls_to] < rank.get(target, 0)), None)
    return Forecast(
        service, as_of, until, level_now, target, tuple(drops), below, tuple(due),
        renewed_by_tooling,
    )  # fmt: skip


def _counts_at(item: ItemClock, level: str, rank: dict[str, int]) -> bool:
    if level == NO_LEVEL:
        return False
    high = rank[item.required_until] if item.required_until else max(rank.values())
    return rank[item.required_from] <= rank[level] <= high


def renewed_by_tooling(max_age: timedelta | None) -> bool:
    return max_age is not None and max_age <= RENEWED_BY_TOOLING


def evaluation_forecast(ev: ServiceEvaluation, days: int) -> Forecast:
    """The forecast of an evaluation just scored (the sync step's, for pre-lapse notices)."""
    clocks = [
        clock(
            item_id=r.item.id,
            title=r.item.title,
            required_from=r.required_from,
            required_until=r.item.required_until,
            effective_status=r.effective_status.value,
            observed_at=r.evidence.observed_at if r.evidence else None,
            max_age=None if renewed_by_tooling(r.item.max_age) else r.item.max_age,
            expires_at=r.evidence.expires_at if r.evidence else None,
            waiver_expires=r.waiver.expires if r.waiver else None,
        )
        for r in ev.items
    ]
    return forecast(
        ev.service,
        ev.checklist.levels,
        clocks,
        level_now=ev.achieved_level,
        target=ev.target_level,
        as_of=ev.evaluated_at,
        until=ev.evaluated_at + timedelta(days=days),
        renewed_by_tooling=sum(renewed_by_tooling(r.item.max_age) for r in ev.items),
    )

"""Statuses, error grace, regressions and the level rule (docs/design.md §2).

Pure functions over the model: no I/O, so the rules are easy to test exhaustively."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from readiness.domain.model import (
    FAILING,
    NO_LEVEL,
    PASSING,
    SATISFIED,
    Checklist,
    Evidence,
    ExpectationOutcome,
    Item,
    Level,
    PriorItemState,
    Status,
    Waiver,
)
from readiness.support.timeutil import format_duration

EPISODE_NAMESPACE = uuid.UUID("6f1d3c5e-5b7a-4c41-9d2e-8a2f0b7c1e11")


def describe_expectation(outcome: ExpectationOutcome) -> str:
    """A human sentence: what was expected and what was observed."""
    kw = outcome.kwargs
    column = kw.get("column", "")
    name = outcome.type
    if outcome.error:
        return outcome.error
    if name.endswith("_to_be_between") or name == "expect_table_row_count_to_equal":
        subject = {
            "expect_table_row_count_to_be_between": "number of records",
            "expect_table_row_count_to_equal": "number of records",
            "expect_column_max_to_be_between": f"newest/largest {column}",
            "expect_column_min_to_be_between": f"oldest/smallest {column}",
            "expect_column_mean_to_be_between": f"mean {column}",
            "expect_column_sum_to_be_between": f"sum of {column}",
            "expect_column_unique_value_count_to_be_between": f"distinct {column} values",
        }.get(name, f"{column}")
        if name == "expect_table_row_count_to_equal":
            bound = f"= {kw.get('value')}"
        elif kw.get("min_value") is not None and kw.get("max_value") is not None:
            bound = f"between {kw['min_value']} and {kw['max_value']}"
        elif kw.get("min_value") is not None:
            bound = f"≥ {kw['min_value']}"
        else:
            bound = f"≤ {kw.get('max_value')}"
        expected = f"{subject} {bound}"
    elif name.endswith("_to_be_in_set"):
        expected = f"{column} in {kw.get('value_set')}"
    elif name.endswith("_to_not_be_in_set"):
        expected = f"{column} not in {kw.get('value_set')}"
    elif name.endswith("_to_not_be_null"):
        expected = f"{column} present"
    elif name.endswith("_to_be_null"):
        expected = f"{column} empty"
    elif name.endswith("_to_not_match_regex"):
        expected = f"{column} not matching /{kw.get('regex')}/"
    elif name.endswith("_to_match_regex"):
        expected = f"{column} matching /{kw.get('regex')}/"
    else:
        expected = f"{name}({', '.join(f'{k}={v}' for k, v in kw.items())})"
    if outcome.success:
        return f"{expected}: ok"
    if isinstance(outcome.observed, dict) and "element_count" in outcome.observed:
        got = (
            f"{outcome.unexpected_count} of {outcome.observed['element_count']} unexpected, "
            f"e.g. {outcome.unexpected_sample}"
        )
    else:
        got = f"observed {outcome.observed}"
    return f"expected {expected}; {got}"


def resolve_status(
    item: Item,
    evidence: Evidence | None,
    outcomes: Sequence[ExpectationOutcome],
    validation_error: str | None,
    waiver: Waiver | None,
    not_applicable: str | None,
    as_of: datetime,
) -> tuple[Status, str]:
    """The item's own status and a one-sentence reason, before error grace. A waiver in
    force turns anything but ``pass`` into ``waived``: evidence that passes is ``pass``,
    waiver or not."""
    if not_applicable is not None:
        return Status.NOT_APPLICABLE, f"not applicable: {not_applicable}"
    status, reason = _evidence_status(item, evidence, outcomes, validation_error, as_of)
    if waiver is not None and status is not Status.PASS:
        return Status.WAIVED, (
            f"waived until {waiver.expires.isoformat()} by {waiver.approver}: {waiver.reason}"
        )
    return status, reason


def _evidence_status(
    item: Item,
    evidence: Evidence | None,
    outcomes: Sequence[ExpectationOutcome],
    validation_error: str | None,
    as_of: datetime,
) -> tuple[Status, str]:
    """What the evidence alone says."""
    if evidence is None:
        return Status.ERROR, "no evidence was collected"
    if evidence.error:
        return Status.ERROR, f"collector error: {evidence.error}"
    if validation_error:
        return Status.ERROR, f"validation error: {validation_error}"
    if not evidence.found:
        return Status.MISSING, f"missing: {evidence.summary.get('missing', 'no evidence found')}"
    if evidence.expires_at is not None and as_of >= evidence.expires_at:
        last_day = (evidence.expires_at - timedelta(days=1)).date().isoformat()
        return Status.STALE, f"stale: evidence stopped counting after {last_day}"
    if (
        item.max_age is not None
        and evidence.observed_at is not None
        and as_of - evidence.observed_at > item.max_age
    ):
        # no running age in the text: the reason must only change when the evidence does
        return Status.STALE, (
            f"stale: newest evidence is from "
            f"{evidence.observed_at.date().isoformat()}, older than max_age "
            f"{format_duration(item.max_age)}"
        )
    failed = [o for o in outcomes if not o.success]
    if failed:
        return Status.FAIL, "; ".join(describe_expectation(o) for o in failed)
    return Status.PASS, f"all {len(outcomes)} expectation(s) met"


def apply_grace(
    status: Status, prior: PriorItemState | None, grace_runs: int
) -> tuple[Status, int]:
    """(effective status, error streak). An ``error`` keeps the last known status for
    ``grace_runs`` consecutive runs, so a flaky collector neither downgrades nor files issues."""
    if status is not Status.ERROR:
        return status, 0
    streak = (prior.error_streak if prior else 0) + 1
    if prior is not None and streak <= grace_runs and prior.effective_status is not Status.ERROR:
        return prior.effective_status, streak
    return Status.ERROR, streak


def is_regression(prior: PriorItemState | None, effective: Status) -> bool:
    return prior is not None and prior.effective_status in PASSING and effective in FAILING


def episode_id(service: str, item_id: str, run_id: str) -> str:
    """Deterministic id of one regression episode, named after the run whose state it
    regressed from: a retry of a run, and two runs racing from the same prior state (the
    quarterly revalidation and a daily run), yield the same id. That is what makes issue
    creation exactly-once."""
    return str(uuid.uuid5(EPISODE_NAMESPACE, f"{service}|{item_id}|{run_id}"))


#: An item as the level rule sees it: (required_from, required_until or None, status); the
#: two-element form (required_from, status) reads as required from that level upward.
LevelItem = tuple[str, Status] | tuple[str, str | None, Status]


def _span(rank: dict[str, int], item: LevelItem) -> tuple[int, int, Status]:
    if len(item) == 2:
        return rank[item[0]], max(rank.values(), default=0), item[1]
    low, high, status = item
    return rank[low], rank[high] if high else max(rank.values(), default=0), status


def achieved_level(levels: Sequence[Level], items: Iterable[LevelItem]) -> str:
    """Highest level L at which every item required at L is pass, waived or not_applicable;
    ``none`` when no level is met.

    An item is required at L when ``required_from ≤ L ≤ required_until`` (no
    ``required_until``: every level from ``required_from`` up). Without upper bounds this is
    the ladder rule "every item required from L or below is satisfied". With one, a check a
    stronger one replaces higher up (a checklist's "Level C only" row) holds only the levels
    it names: failing it keeps a service below C, not below B."""
    rank = {level.id: level.rank for level in levels}
    spans = (_span(rank, item) for item in items)
    unmet = [(low, high) for low, high, status in spans if status not in SATISFIED]
    achieved = NO_LEVEL
    for level in sorted(levels, key=lambda lv: lv.rank):
        if not any(low <= level.rank <= high for low, high in unmet):
            achieved = level.id
    return achieved


def required_at(checklist: Checklist, required_from: str, item_id: str, level_id: str) -> bool:
    """Whether the item counts at ``level_id``: from its (possibly overridden)
    ``required_from`` up to the checklist's ``required_until``."""
    target = checklist.rank(level_id)
    if checklist.rank(required_from) > target:
        return False
    try:
        until = checklist.item(item_id).required_until
    except KeyError:  # an item a later checklist version dropped: the ladder rule
        return True
    return until is None or checklist.rank(until) >= target


def blocking_items(
    checklist: Checklist, level_id: str, items: Iterable[tuple[str, str, Status]]
) -> list[str]:
    """Item ids (id, required_from, status) that keep the service below ``level_id``."""
    return [
        item_id
        for item_id, required, status in items
        if status not in SATISFIED and required_at(checklist, required, item_id, level_id)
    ]


__all__ = [
    "FAILING",
    "PASSING",
    "SATISFIED",
    "achieved_level",
    "apply_grace",
    "blocking_items",
    "describe_expectation",
    "episode_id",
    "is_regression",
    "required_at",
    "resolve_status",
]

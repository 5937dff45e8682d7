"""The level rule, error grace and regressions (docs/design.md §2), including properties."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from readiness.domain.model import NO_LEVEL, Level, PriorItemState, Status
from readiness.domain.scoring import achieved_level, apply_grace, is_regression

LEVELS = [Level(id=f"L{i}", name=f"n{i}", rank=i) for i in range(5)]
items_st = st.lists(
    st.tuples(st.sampled_from([lv.id for lv in LEVELS]), st.sampled_from(list(Status))), max_size=30
)


def rank(level: str) -> int:
    return -1 if level == NO_LEVEL else int(level[1:])


def test_level_is_highest_with_everything_below_satisfied() -> None:
    items = [
        ("L0", Status.PASS),
        ("L1", Status.WAIVED),
        ("L2", Status.NOT_APPLICABLE),
        ("L3", Status.STALE),
        ("L4", Status.PASS),
    ]
    assert achieved_level(LEVELS, items) == "L2"


def test_failing_l0_item_means_no_level() -> None:
    assert achieved_level(LEVELS, [("L0", Status.MISSING), ("L1", Status.PASS)]) == NO_LEVEL


def test_levels_without_items_are_reached_when_everything_below_passes() -> None:
    assert achieved_level(LEVELS, [("L0", Status.PASS)]) == "L4"


@given(items_st, st.integers(min_value=0, max_value=29))
def test_making_one_more_item_pass_never_lowers_the_level(items, index) -> None:
    if not items:
        return
    index %= len(items)
    before = achieved_level(LEVELS, items)
    better = list(items)
    better[index] = (items[index][0], Status.PASS)
    assert rank(achieved_level(LEVELS, better)) >= rank(before)


@given(items_st, st.sampled_from([lv.id for lv in LEVELS]))
def test_items_above_target_never_block_the_target(items, target) -> None:
    below = [(lv, Status.PASS) for lv, _ in items if rank(lv) <= rank(target)]
    above = [(lv, s) for lv, s in items if rank(lv) > rank(target)]
    assert rank(achieved_level(LEVELS, below + above)) >= rank(target)


def test_error_keeps_last_known_status_for_the_grace_then_fails() -> None:
    prior = PriorItemState(status=Status.PASS, effective_status=Status.PASS)
    seen = []
    for _ in range(3):
        effective, streak = apply_grace(Status.ERROR, prior, grace_runs=2)
        seen.append((effective, streak))
        prior = PriorItemState(status=Status.ERROR, effective_status=effective, error_streak=streak)
    assert seen == [(Status.PASS, 1), (Status.PASS, 2), (Status.ERROR, 3)]


def test_error_without_history_counts_as_error() -> None:
    assert apply_grace(Status.ERROR, None, 2) == (Status.ERROR, 1)


def test_recovery_resets_the_streak() -> None:
    prior = PriorItemState(status=Status.ERROR, effective_status=Status.PASS, error_streak=2)
    assert apply_grace(Status.FAIL, prior, 2) == (Status.FAIL, 0)


def test_regression_needs_passing_before_and_failing_now() -> None:
    passing = PriorItemState(status=Status.PASS, effective_status=Status.PASS)
    waived = PriorItemState(status=Status.WAIVED, effective_status=Status.WAIVED)
    failing = PriorItemState(status=Status.FAIL, effective_status=Status.FAIL)
    assert is_regression(passing, Status.STALE)
    assert is_regression(waived, Status.FAIL)
    assert not is_regression(failing, Status.FAIL)
    assert not is_regression(passing, Status.WAIVED)
    assert not is_regression(None, Status.FAIL)


def test_an_item_with_an_upper_bound_holds_only_the_levels_it_names() -> None:
    """Seed-style "Level C only" rows: a manual check a stronger one replaces higher up."""
    levels = [Level(id=i, name=f"Level {i}", rank=n) for n, i in enumerate("CBA")]
    manual_scale = ("C", "C", Status.FAIL)
    auto_scale = ("B", None, Status.PASS)
    assert achieved_level(levels, [manual_scale, auto_scale]) == "A"
    assert achieved_level(levels, [("C", "C", Status.PASS), ("B", None, Status.FAIL)]) == "C"
    # without the bound the same failing row holds the service below every level
    assert achieved_level(levels, [("C", None, Status.FAIL), auto_scale]) == NO_LEVEL


spans_st = st.lists(
    st.tuples(st.integers(0, 4), st.integers(0, 4) | st.none(), st.sampled_from(list(Status))).map(
        lambda t: (f"L{t[0]}", None if t[1] is None else f"L{max(t[0], t[1])}", t[2])
    ),
    max_size=30,
)


@given(spans_st)
def test_the_level_is_the_highest_with_every_item_required_there_satisfied(items) -> None:
    from readiness.domain.model import SATISFIED

    def met(level: int) -> bool:
        return all(
            s in SATISFIED
            for low, high, s in items
            if rank(low) <= level <= (rank(high) if high else 4)
        )

    expected = max((lv for lv in range(5) if met(lv)), default=-1)
    assert rank(achieved_level(LEVELS, items)) == expected

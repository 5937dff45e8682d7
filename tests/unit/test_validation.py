"""Batched GX validation must decide exactly as validating each item alone would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from readiness.domain.model import Evidence, Expectation
from readiness.pipeline.validation import BatchValidator, ValidationTask

NOW = datetime(2026, 11, 20, tzinfo=UTC)
VALIDATOR = BatchValidator()

EXPECTATIONS = [
    Expectation("expect_column_values_to_be_in_set", {"column": "status", "value_set": ["ok"]}),
    Expectation("expect_column_values_to_be_between", {"column": "n", "max_value": 5}),
    Expectation(
        "expect_column_values_to_be_between", {"column": "n", "min_value": 2, "mostly": 0.5}
    ),
    Expectation("expect_column_values_to_not_be_null", {"column": "n"}),
    Expectation("expect_table_row_count_to_be_between", {"min_value": 2}),
    Expectation("expect_column_max_to_be_between", {"column": "n", "min_value": 4}),
    Expectation("expect_column_max_to_be_between", {"column": "at", "min_value": {"ago": "30d"}}),
    Expectation("expect_column_values_to_be_unique", {"column": "n"}),
]


def evidence(rows: list[dict]) -> Evidence:
    return Evidence(
        rows=rows, columns=("status", "n", "at"), uri="mem://", sha256="x", fetched_at=NOW
    )


row_st = st.fixed_dictionaries(
    {
        "status": st.sampled_from(["ok", "bad", None]),
        "n": st.one_of(st.none(), st.integers(0, 8)),
        "at": st.sampled_from([NOW - timedelta(days=d) for d in (1, 20, 40)]),
    }
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.lists(row_st, min_size=1, max_size=4), min_size=1, max_size=5),
    st.lists(st.sets(st.integers(0, len(EXPECTATIONS) - 1), min_size=1), min_size=5, max_size=5),
)
def test_batch_equals_one_by_one(frames, chosen) -> None:
    tasks = [
        ValidationTask(
            key=f"k{i}",
            evidence=evidence(rows),
            expectations=tuple(EXPECTATIONS[j] for j in sorted(chosen[i])),
        )
        for i, rows in enumerate(frames)
    ]
    batched = VALIDATOR.validate(tasks, NOW)
    for task in tasks:
        alone = BatchValidator._run_one_by_one  # the exact per-item GX path
        sigs = list(range(len(task.expectations)))
        from readiness.pipeline.validation import resolve_kwargs, signature

        specs = {signature(e, NOW): (e, resolve_kwargs(e.kwargs, NOW)) for e in task.expectations}
        single = alone(VALIDATOR, [task.key], list(specs), specs, {task.key: task})
        for position, expectation in enumerate(task.expectations):
            expected = single[(signature(expectation, NOW), task.key)].success
            got = batched[task.key].outcomes[position].success
            assert got == expected, (expectation, task.evidence.rows)
        assert sigs


def test_failures_map_back_to_their_own_item_with_a_sample() -> None:
    tasks = [
        ValidationTask("good", (EXPECTATIONS[0],), evidence([{"status": "ok", "n": 1, "at": NOW}])),
        ValidationTask("bad", (EXPECTATIONS[0],), evidence([{"status": "bad", "n": 1, "at": NOW}])),
    ]
    result = VALIDATOR.validate(tasks, NOW)
    assert result["good"].outcomes[0].success
    assert not result["bad"].outcomes[0].success
    assert result["bad"].outcomes[0].unexpected_sample == ["bad"]


def test_several_expectations_on_the_same_items_keep_their_own_results() -> None:
    exps = (
        Expectation("expect_column_values_to_be_in_set", {"column": "status", "value_set": ["ok"]}),
        Expectation("expect_column_values_to_be_in_set", {"column": "flag", "value_set": [True]}),
    )
    ev = Evidence(
        rows=[{"status": "ok", "flag": False}],
        columns=("status", "flag"),
        uri=None,
        sha256=None,
        fetched_at=NOW,
    )
    result = VALIDATOR.validate([ValidationTask("a", exps, ev)], NOW)
    assert [o.success for o in result["a"].outcomes] == [True, False]


def test_missing_column_is_an_error_naming_the_column() -> None:
    exp = Expectation("expect_column_values_to_be_in_set", {"column": "nope", "value_set": [1]})
    result = VALIDATOR.validate([ValidationTask("a", (exp,), evidence([{"status": "ok"}]))], NOW)
    assert result["a"].error is not None and "'nope'" in result["a"].error


def test_aggregate_over_no_rows_fails_like_gx() -> None:
    exp = Expectation("expect_column_max_to_be_between", {"column": "n", "min_value": 1})
    result = VALIDATOR.validate(
        [ValidationTask("a", (exp,), evidence([{"status": "ok", "n": None}]))], NOW
    )
    assert not result["a"].outcomes[0].success


def test_row_condition_applies_per_path() -> None:
    exps = tuple(
        Expectation(
            "expect_column_values_to_be_between",
            {
                "column": "pct",
                "min_value": m,
                "row_condition": f'path=="{p}"',
                "condition_parser": "pandas",
            },
        )
        for p, m in (("domain", 95), ("app", 90))
    )
    ev = Evidence(
        rows=[{"path": "domain", "pct": 96}, {"path": "app", "pct": 85}],
        columns=("path", "pct"),
        uri=None,
        sha256=None,
        fetched_at=NOW,
    )
    result = VALIDATOR.validate([ValidationTask("a", exps, ev)], NOW)
    assert [o.success for o in result["a"].outcomes] == [True, False]


def test_aggregate_with_row_condition_counts_only_matching_rows() -> None:
    exp = Expectation(
        "expect_table_row_count_to_be_between",
        {"min_value": 2, "row_condition": 'path=="domain"', "condition_parser": "pandas"},
    )
    ev = Evidence(
        rows=[{"path": "domain"}, {"path": "app"}, {"path": "app"}],
        columns=("path",),
        uri=None,
        sha256=None,
        fetched_at=NOW,
    )
    result = VALIDATOR.validate([ValidationTask("a", (exp,), ev)], NOW)
    assert not result["a"].outcomes[0].success  # one domain row, though three rows in all

"""The Great Expectations expectations a checklist may use, and how each is batched.

Kept as static data so that loading a checklist (which DAG files do at parse time) never
imports Great Expectations. ``readiness check`` additionally builds every expectation with
GX itself, so argument errors are GX's own.

Batching (see ``validation``): one GX validation per distinct expectation serves every
item and service that uses it.
- ``row``: a column-map expectation; the evidence frames of all items are concatenated
  and GX's ``unexpected_index_list`` maps failing rows back to their item.
- ``aggregate``: a table/column aggregate; it is lowered to the equivalent row-level
  expectation over a frame of per-item aggregates (one row per item), so GX still decides.
- ``single``: anything else runs once per item on that item's frame (exact, slower).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ExpectationKind:
    batching: str  # "row" | "aggregate" | "single"
    required: tuple[str, ...]
    aggregate: str | None = None  # for "aggregate": count | max | min | mean | sum | nunique


_BETWEEN = ("min_value", "max_value")

SUPPORTED: dict[str, ExpectationKind] = {
    # row-level (column map) expectations
    "expect_column_values_to_be_between": ExpectationKind("row", ("column",)),
    "expect_column_values_to_be_in_set": ExpectationKind("row", ("column", "value_set")),
    "expect_column_values_to_not_be_in_set": ExpectationKind("row", ("column", "value_set")),
    "expect_column_values_to_not_be_null": ExpectationKind("row", ("column",)),
    "expect_column_values_to_be_null": ExpectationKind("row", ("column",)),
    "expect_column_values_to_match_regex": ExpectationKind("row", ("column", "regex")),
    "expect_column_values_to_not_match_regex": ExpectationKind("row", ("column", "regex")),
    # aggregates, lowered to row-level expectations over per-item aggregates
    "expect_table_row_count_to_be_between": ExpectationKind("aggregate", (), "count"),
    "expect_table_row_count_to_equal": ExpectationKind("aggregate", ("value",), "count"),
    "expect_column_max_to_be_between": ExpectationKind("aggregate", ("column",), "max"),
    "expect_column_min_to_be_between": ExpectationKind("aggregate", ("column",), "min"),
    "expect_column_mean_to_be_between": ExpectationKind("aggregate", ("column",), "mean"),
    "expect_column_sum_to_be_between": ExpectationKind("aggregate", ("column",), "sum"),
    "expect_column_unique_value_count_to_be_between": ExpectationKind(
        "aggregate", ("column",), "nunique"
    ),
    # evaluated per item
    "expect_column_to_exist": ExpectationKind("single", ("column",)),
    "expect_column_values_to_be_unique": ExpectationKind("single", ("column",)),
    "expect_column_distinct_values_to_contain_set": ExpectationKind(
        "single", ("column", "value_set")
    ),
    "expect_column_distinct_values_to_be_in_set": ExpectationKind(
        "single", ("column", "value_set")
    ),
    "expect_column_pair_values_a_to_be_greater_than_b": ExpectationKind(
        "single", ("column_A", "column_B")
    ),
}


def columns_of(kwargs: dict[str, object]) -> list[str]:
    """Evidence columns an expectation reads."""
    names = []
    for key in ("column", "column_A", "column_B"):
        value = kwargs.get(key)
        if isinstance(value, str):
            names.append(value)
    return names


def check_arguments(name: str, kwargs: dict[str, object]) -> list[str]:
    """Static argument check (names only); GX checks types in ``readiness check``."""
    kind = SUPPORTED.get(name)
    if kind is None:
        known = ", ".join(sorted(SUPPORTED))
        return [f"unknown expectation {name!r}; expected one of: {known}"]
    problems = [f"missing argument {arg!r}" for arg in kind.required if arg not in kwargs]
    if name.endswith("_to_be_between") and not any(k in kwargs for k in _BETWEEN):
        problems.append("expected at least one of 'min_value' or 'max_value'")
    return problems

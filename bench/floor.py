"""The floor the Great Expectations path is measured against: the same rules as plain pandas
comparisons, one frame per item, with GX's semantics for the expectations the shipped
checklists use (column-map expectations ignore nulls, ``mostly``, inclusive bounds,
``row_condition`` through ``DataFrame.query``). Benchmark only; the product validates with
GX."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import pandas as pd

from readiness.model import ExpectationOutcome
from readiness.validation import TaskResult, ValidationTask, resolve_kwargs


def _map(frame: pd.DataFrame, kwargs: dict[str, Any], ok: Any, kind: str) -> ExpectationOutcome:
    column = kwargs["column"]
    if column not in frame.columns:
        return ExpectationOutcome(kind, kwargs, False, error=f"no column {column!r}")
    values = frame[column]
    present = values[values.notna()]
    good = present.map(ok).astype(bool) if len(present) else present.astype(bool)
    unexpected = present[~good]
    count = len(present)
    mostly = float(kwargs.get("mostly", 1.0))
    success = count == 0 or (count - len(unexpected)) / count >= mostly
    return ExpectationOutcome(
        kind,
        kwargs,
        bool(success),
        observed={"element_count": len(values), "unexpected_count": len(unexpected)},
        unexpected_count=len(unexpected),
        unexpected_sample=list(unexpected.head(5)),
    )


def _between(value: Any, low: Any, high: Any) -> bool:
    try:
        return (low is None or value >= low) and (high is None or value <= high)
    except TypeError:
        return False


def check(
    frame: pd.DataFrame, kind: str, raw: dict[str, Any], as_of: datetime
) -> ExpectationOutcome:
    kwargs = resolve_kwargs(raw, as_of)
    if kwargs.get("row_condition"):
        frame = frame.query(kwargs["row_condition"])
    if kind == "expect_table_row_count_to_equal":
        return ExpectationOutcome(kind, raw, len(frame) == kwargs["value"], observed=len(frame))
    if kind == "expect_table_row_count_to_be_between":
        return ExpectationOutcome(
            kind,
            raw,
            _between(len(frame), kwargs.get("min_value"), kwargs.get("max_value")),
            observed=len(frame),
        )
    if kind == "expect_column_unique_value_count_to_be_between":
        column = kwargs["column"]
        if column not in frame.columns:
            return ExpectationOutcome(kind, raw, False, error=f"no column {column!r}")
        unique = int(frame[column].nunique())
        ok = len(frame) > 0 and _between(unique, kwargs.get("min_value"), kwargs.get("max_value"))
        return ExpectationOutcome(kind, raw, ok, observed=unique)
    if kind == "expect_column_values_to_not_be_null":
        column = kwargs["column"]
        if column not in frame.columns:
            return ExpectationOutcome(kind, raw, False, error=f"no column {column!r}")
        nulls = int(frame[column].isna().sum())
        return ExpectationOutcome(kind, raw, nulls == 0, unexpected_count=nulls)
    if kind == "expect_column_values_to_be_in_set":
        allowed = set(kwargs["value_set"])
        return _map(frame, raw, lambda v: v in allowed, kind)
    if kind == "expect_column_values_to_be_between":
        low, high = kwargs.get("min_value"), kwargs.get("max_value")
        return _map(frame, raw, lambda v: _between(v, low, high), kind)
    if kind == "expect_column_values_to_match_regex":
        pattern = re.compile(kwargs["regex"])
        return _map(frame, raw, lambda v: bool(pattern.search(str(v))), kind)
    return ExpectationOutcome(kind, raw, False, error=f"the floor does not implement {kind}")


class FloorValidator:
    """``BatchValidator``'s interface, plain pandas, one item at a time."""

    calls = 0

    def validate(self, tasks: Sequence[ValidationTask], as_of: datetime) -> dict[str, TaskResult]:
        out: dict[str, TaskResult] = {}
        for task in tasks:
            frame = pd.DataFrame(task.evidence.rows, columns=list(task.evidence.columns) or None)
            try:
                outcomes = [check(frame, e.type, e.kwargs, as_of) for e in task.expectations]
                out[task.key] = TaskResult(outcomes)
            except Exception as exc:  # a bad row_condition, as GX would report it
                out[task.key] = TaskResult([], error=f"{type(exc).__name__}: {exc}")
        return out

"""The floor the Great Expectations path is measured against: the fastest honest way to
apply the same rules without GX. Items are grouped by expectation (type and resolved
arguments, as the GX batcher groups them), every item's rows of a group are stacked into one
frame with an item key, and each rule is one vectorised pandas operation over the stack,
aggregated per item with ``groupby``. GX's semantics are kept for the expectations the
shipped checklists use: column-map expectations ignore nulls, ``mostly``, inclusive bounds,
``row_condition`` through ``DataFrame.query``. Benchmark only; the product validates with
GX."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import pandas as pd

from readiness.domain.model import ExpectationOutcome
from readiness.pipeline.validation import TaskResult, ValidationTask, resolve_kwargs

KEY = "__item__"
SAMPLE = 5
MAP_KINDS = {
    "expect_column_values_to_be_in_set",
    "expect_column_values_to_be_between",
    "expect_column_values_to_match_regex",
}


def _stack(tasks: list[ValidationTask]) -> pd.DataFrame:
    """Every task's rows in one frame, with the task's key in ``KEY``."""
    rows = [{**row, KEY: task.key} for task in tasks for row in task.evidence.rows]
    columns = sorted({c for t in tasks for c in t.evidence.columns} | {KEY})
    return pd.DataFrame(rows, columns=columns)


def _bad_mask(values: pd.Series, kind: str, kwargs: dict[str, Any]) -> pd.Series:
    """True where a present (non-null) value breaks the rule, vectorised."""
    if kind == "expect_column_values_to_be_in_set":
        return ~values.isin(list(kwargs["value_set"]))
    if kind == "expect_column_values_to_match_regex":
        return ~values.astype(str).str.contains(kwargs["regex"], regex=True)
    low, high = kwargs.get("min_value"), kwargs.get("max_value")
    try:
        ok = pd.Series(True, index=values.index)
        if low is not None:
            ok &= values >= low
        if high is not None:
            ok &= values <= high
        return ~ok
    except TypeError:  # mixed types in one column: compare value by value, as GX would

        def fits(v: Any) -> bool:
            try:
                return (low is None or v >= low) and (high is None or v <= high)
            except TypeError:
                return False

        return ~values.map(fits).astype(bool)


def _group(
    kind: str, raw: dict[str, Any], tasks: list[ValidationTask], as_of: datetime
) -> dict[str, ExpectationOutcome]:
    """One expectation over every item that has it."""
    kwargs = resolve_kwargs(raw, as_of)
    frame = _stack(tasks)
    if kwargs.get("row_condition"):
        frame = frame.query(kwargs["row_condition"])
    keys = [t.key for t in tasks]
    sizes = frame.groupby(KEY).size().reindex(keys, fill_value=0)
    out: dict[str, ExpectationOutcome] = {}
    column = kwargs.get("column")
    has_column = {t.key: column in t.evidence.columns for t in tasks} if column else {}
    missing = [k for k in keys if column and not has_column[k]]
    for key in missing:
        out[key] = ExpectationOutcome(kind, raw, False, error=f"no column {column!r}")
    keys = [k for k in keys if k not in out]
    if kind == "expect_table_row_count_to_equal":
        for key in keys:
            n = int(sizes[key])
            out[key] = ExpectationOutcome(kind, raw, n == kwargs["value"], observed=n)
    elif kind == "expect_table_row_count_to_be_between":
        low, high = kwargs.get("min_value"), kwargs.get("max_value")
        for key in keys:
            n = int(sizes[key])
            ok = (low is None or n >= low) and (high is None or n <= high)
            out[key] = ExpectationOutcome(kind, raw, bool(ok), observed=n)
    elif kind == "expect_column_unique_value_count_to_be_between":
        unique = frame.groupby(KEY)[column].nunique().reindex(keys, fill_value=0)
        low, high = kwargs.get("min_value"), kwargs.get("max_value")
        for key in keys:
            u = int(unique[key])
            ok = sizes[key] > 0 and (low is None or u >= low) and (high is None or u <= high)
            out[key] = ExpectationOutcome(kind, raw, bool(ok), observed=u)
    elif kind == "expect_column_values_to_not_be_null":
        nulls = frame[column].isna().groupby(frame[KEY]).sum().reindex(keys, fill_value=0)
        for key in keys:
            n = int(nulls[key])
            out[key] = ExpectationOutcome(kind, raw, n == 0, unexpected_count=n)
    elif kind in MAP_KINDS:
        present = frame[frame[column].notna()]
        bad = _bad_mask(present[column], kind, kwargs)
        counts = present.groupby(KEY).size().reindex(keys, fill_value=0)
        unexpected = bad.groupby(present[KEY]).sum().reindex(keys, fill_value=0)
        samples = present[column][bad].groupby(present[KEY][bad]).head(SAMPLE)
        sample_by_key: dict[str, list[Any]] = defaultdict(list)
        for key, value in zip(present[KEY][bad].loc[samples.index], samples, strict=True):
            sample_by_key[key].append(value)
        mostly = float(kwargs.get("mostly", 1.0))
        elements = frame.groupby(KEY).size().reindex(keys, fill_value=0)
        for key in keys:
            count, wrong = int(counts[key]), int(unexpected[key])
            success = count == 0 or (count - wrong) / count >= mostly
            out[key] = ExpectationOutcome(
                kind,
                raw,
                bool(success),
                observed={"element_count": int(elements[key]), "unexpected_count": wrong},
                unexpected_count=wrong,
                unexpected_sample=sample_by_key.get(key, []),
            )
    else:
        for key in keys:
            out[key] = ExpectationOutcome(
                kind, raw, False, error=f"the floor does not implement {kind}"
            )
    return out


def _signature(kind: str, kwargs: dict[str, Any]) -> str:
    return json.dumps([kind, kwargs], sort_keys=True, default=str)


class FloorValidator:
    """``BatchValidator``'s interface: one vectorised pass per distinct expectation."""

    calls = 0

    def validate(self, tasks: Sequence[ValidationTask], as_of: datetime) -> dict[str, TaskResult]:
        groups: dict[str, tuple[str, dict[str, Any], list[ValidationTask]]] = {}
        for task in tasks:
            for expectation in task.expectations:
                signature = _signature(expectation.type, expectation.kwargs)
                group = groups.setdefault(signature, (expectation.type, expectation.kwargs, []))
                group[2].append(task)
        results: dict[tuple[str, str], ExpectationOutcome] = {}
        errors: dict[str, str] = {}
        for signature, (kind, raw, members) in groups.items():
            try:
                for key, outcome in _group(kind, raw, members, as_of).items():
                    results[(key, signature)] = outcome
            except Exception as exc:  # a bad row_condition, as GX would report it
                for task in members:
                    errors[task.key] = f"{type(exc).__name__}: {exc}"
        out: dict[str, TaskResult] = {}
        for task in tasks:
            if task.key in errors:
                out[task.key] = TaskResult([], error=errors[task.key])
                continue
            outcomes = [
                results[(task.key, _signature(e.type, e.kwargs))] for e in task.expectations
            ]
            out[task.key] = TaskResult(outcomes)
        return out

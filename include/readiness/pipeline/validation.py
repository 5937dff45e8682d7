"""Great Expectations validation of every item's evidence, in batches.

GX costs ~11 ms per validation call here, so validating item by item would take 15
minutes for a thousand services. Instead every distinct expectation (type + resolved
arguments) is validated once for all the items that use it:

- row-level expectations run on the concatenation of those items' evidence frames; GX's
  ``unexpected_index_list`` (with the ``_key`` column) maps each failing row back to its
  item, and ``mostly`` is applied per item;
- aggregate expectations (row count, column max/min/mean/sum, unique count) are lowered to
  ``expect_column_values_to_be_between`` over a frame with one row per item holding that
  item's aggregate, so GX still makes the decision;
- anything else runs once per item (exact, slower), and so does any group whose batch
  failed to run, so that one item's odd evidence cannot turn its neighbours into errors.

Expectations that apply to the same set of items share one suite and one call.
Great Expectations and pandas are imported on first use only.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from readiness.domain.model import Evidence, Expectation, ExpectationOutcome
from readiness.spec.expectations import SUPPORTED, columns_of
from readiness.support.jsonvalues import jsonable
from readiness.support.timeutil import parse_duration

if TYPE_CHECKING:
    import pandas as pd

KEY = "_key"
SAMPLE = 5
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ValidationTask:
    """One item's evidence and expectations; ``key`` identifies it in the batch."""

    key: str
    expectations: tuple[Expectation, ...]
    evidence: Evidence


@dataclass
class TaskResult:
    outcomes: list[ExpectationOutcome]
    error: str | None = None


# --------------------------------------------------------------------------- values


def resolve_value(value: Any, as_of: datetime) -> Any:
    """``{ago: 90d}`` → the timestamp 90 days before as_of; ``{ahead: 7d}`` → after."""
    if isinstance(value, dict) and len(value) == 1:
        ((key, amount),) = value.items()
        if key == "ago":
            return as_of - parse_duration(str(amount))
        if key == "ahead":
            return as_of + parse_duration(str(amount))
    return value


def resolve_kwargs(kwargs: dict[str, Any], as_of: datetime) -> dict[str, Any]:
    return {k: resolve_value(v, as_of) for k, v in kwargs.items()}


def condition_columns(kwargs: dict[str, Any], available: set[str]) -> list[str]:
    """Evidence columns named in a ``row_condition`` (pandas syntax)."""
    import re

    condition = kwargs.get("row_condition")
    if not isinstance(condition, str):
        return []
    return [c for c in available if re.search(rf"(?<![\w.]){re.escape(c)}(?![\w.])", condition)]


def signature(expectation: Expectation, as_of: datetime) -> str:
    return json.dumps(
        [expectation.type, jsonable(resolve_kwargs(expectation.kwargs, as_of))], sort_keys=True
    )


# --------------------------------------------------------------------------- GX access


#: CPU-seconds this process spent importing Great Expectations (0 when a long-lived
#: parent had imported it before forking the task: ``readiness_airflow.preload``).
GX_IMPORT_CPU_S = 0.0


def preload() -> None:
    """Import Great Expectations and what a validation needs, without building a context:
    for a long-lived process whose forked children validate (executor workers)."""
    import great_expectations  # noqa: F401
    import pandas  # noqa: F401
    from great_expectations.data_context.types.base import ProgressBarsConfig  # noqa: F401


class _GX:
    """Lazily built ephemeral GX context with one reusable dataframe batch definition."""

    def __init__(self) -> None:
        global GX_IMPORT_CPU_S
        started = time.process_time()
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        GX_IMPORT_CPU_S += time.process_time() - started

        # GX sets some of its loggers to INFO explicitly; keep run logs about readiness
        for name in [*logging.root.manager.loggerDict, "great_expectations"]:
            if name.startswith("great_expectations"):
                logging.getLogger(name).setLevel(logging.ERROR)
        self.gx = gx
        self.context = gx.get_context(mode="ephemeral")
        self.context.variables.progress_bars = ProgressBarsConfig(
            globally=False, metric_calculations=False
        )
        source = self.context.data_sources.add_pandas("readiness_evidence")
        asset = source.add_dataframe_asset("evidence_frames")
        self.batch_definition = asset.add_batch_definition_whole_dataframe("whole_frame")
        self.calls = 0

    def expectation(self, name: str, kwargs: dict[str, Any]) -> Any:
        from great_expectations.expectations.registry import get_expectation_impl

        return get_expectation_impl(name)(**kwargs)

    def run(self, frame: pd.DataFrame, expectations: list[Any]) -> list[Any]:
        """Validate ``frame``; one result per expectation, in order."""
        self.calls += 1
        batch = self.batch_definition.get_batch(batch_parameters={"dataframe": frame})
        suite = self.gx.ExpectationSuite(name=f"readiness_batch_{self.calls}")
        for position, expectation in enumerate(expectations):
            # ids stay unset in an ephemeral suite; an index in meta maps results back
            expectation.meta = {**(expectation.meta or {}), "readiness_position": position}
            suite.add_expectation(expectation)
        result = batch.validate(
            suite,
            result_format={
                "result_format": "COMPLETE",
                "unexpected_index_column_names": [KEY],
                "return_unexpected_index_query": False,
            },
        )
        by_position = {
            (r.expectation_config.meta or {}).get("readiness_position"): r
            for r in result.results
            if r.expectation_config is not None
        }
        if len(by_position) != len(expectations):
            raise RuntimeError("GX returned results that cannot be mapped to expectations")
        return [by_position[i] for i in range(len(expectations))]


def _exception(result: Any) -> str | None:
    info = result.exception_info or {}
    if info.get("raised_exception"):
        return str(info.get("exception_message"))
    for value in info.values():
        if isinstance(value, dict) and value.get("raised_exception"):
            return str(value.get("exception_message"))
    return None


# --------------------------------------------------------------------------- the validator


class BatchValidator:
    """Validates many items' evidence with as few GX calls as the expectations allow."""

    def __init__(self) -> None:
        self._gx: _GX | None = None

    @property
    def gx(self) -> _GX:
        if self._gx is None:
            self._gx = _GX()
        return self._gx

    @property
    def calls(self) -> int:
        return self._gx.calls if self._gx else 0

    def validate(self, tasks: Sequence[ValidationTask], as_of: datetime) -> dict[str, TaskResult]:
        import pandas as pd  # noqa: F401  (import cost paid here, not at load)

        results: dict[str, TaskResult] = {}
        slots: dict[str, list[ExpectationOutcome | None]] = {}
        # signature -> (expectation, resolved kwargs) and the keys that use it
        members: dict[str, list[tuple[str, int]]] = defaultdict(list)
        specs: dict[str, tuple[Expectation, dict[str, Any]]] = {}
        by_key = {task.key: task for task in tasks}
        for task in tasks:
            missing_columns = sorted(
                {c for e in task.expectations for c in columns_of(e.kwargs)}
                - set(task.evidence.columns)
            )
            if missing_columns and task.evidence.rows:
                results[task.key] = TaskResult(
                    [],
                    error=(
                        f"evidence has no column {', '.join(repr(c) for c in missing_columns)}; "
                        f"it has {', '.join(task.evidence.columns) or 'no columns'}"
                    ),
                )
                continue
            slots[task.key] = [None] * len(task.expectations)
            for position, expectation in enumerate(task.expectations):
                sig = signature(expectation, as_of)
                specs.setdefault(sig, (expectation, resolve_kwargs(expectation.kwargs, as_of)))
                members[sig].append((task.key, position))

        # expectations applying to exactly the same items share one suite
        groups: dict[frozenset[str], list[str]] = defaultdict(list)
        singles: list[str] = []
        for sig, uses in members.items():
            batching = SUPPORTED[specs[sig][0].type].batching
            # an aggregate scoped by row_condition cannot be lowered to a per-item
            # aggregate frame; GX evaluates it exactly, item by item
            if batching == "single" or (
                batching == "aggregate" and specs[sig][1].get("row_condition")
            ):
                singles.append(sig)
            else:
                groups[frozenset(key for key, _ in uses)].append(sig)

        for keys, sigs in groups.items():
            ordered = sorted(keys)
            row_sigs = [s for s in sigs if SUPPORTED[specs[s][0].type].batching == "row"]
            agg_sigs = [s for s in sigs if SUPPORTED[specs[s][0].type].batching == "aggregate"]
            for sig_list, runner in ((row_sigs, self._run_rows), (agg_sigs, self._run_aggregates)):
                if not sig_list:
                    continue
                try:
                    outcomes = runner(ordered, sig_list, specs, by_key)
                except Exception as exc:  # a batch that cannot run: isolate item by item
                    log.info(
                        "batch of %d items failed (%s); validating one by one", len(ordered), exc
                    )
                    outcomes = self._run_one_by_one(ordered, sig_list, specs, by_key)
                self._place(outcomes, sig_list, members, slots)
        if singles:
            keys_for = defaultdict(list)
            for sig in singles:
                for key, _ in members[sig]:
                    keys_for[key].append(sig)
            for key, sig_list in keys_for.items():
                outcomes = self._run_one_by_one([key], sig_list, specs, by_key)
                self._place(outcomes, sig_list, members, slots, only=key)

        for key, filled in slots.items():
            done = [o for o in filled if o is not None]
            errors = [o.error for o in done if o.error]
            results[key] = TaskResult(done, error=errors[0] if errors else None)
        return results

    @staticmethod
    def _place(
        outcomes: dict[tuple[str, str], ExpectationOutcome],
        sigs: list[str],
        members: dict[str, list[tuple[str, int]]],
        slots: dict[str, list[ExpectationOutcome | None]],
        only: str | None = None,
    ) -> None:
        for sig in sigs:
            for key, position in members[sig]:
                if only is not None and key != only:
                    continue
                outcome = outcomes.get((sig, key))
                if outcome is not None:
                    slots[key][position] = outcome

    # -- frames

    @staticmethod
    def _frame(
        keys: Sequence[str], columns: Sequence[str], by_key: dict[str, ValidationTask]
    ) -> pd.DataFrame:
        import pandas as pd

        records: list[dict[str, Any]] = []
        for key in keys:
            for row in by_key[key].evidence.rows:
                record = {c: row.get(c) for c in columns}
                record[KEY] = key
                records.append(record)
        frame = pd.DataFrame.from_records(records, columns=[*columns, KEY])
        for column in columns:  # object columns of datetimes become datetime64[UTC]
            if frame[column].dtype == object:
                non_null = frame[column].dropna()
                if len(non_null) and all(isinstance(v, datetime) for v in non_null):
                    frame[column] = pd.to_datetime(frame[column], utc=True)
        return frame.reset_index(drop=True)

    @staticmethod
    def _group_columns(
        keys: Sequence[str],
        sigs: Sequence[str],
        specs: dict[str, tuple[Expectation, dict[str, Any]]],
        by_key: dict[str, ValidationTask],
    ) -> list[str]:
        """Evidence columns the expectations of a group read, including row_condition ones."""
        available = {c for key in keys for c in by_key[key].evidence.columns}
        return sorted(
            {c for s in sigs for c in columns_of(specs[s][1])}
            | {c for s in sigs for c in condition_columns(specs[s][1], available)}
        )

    # -- row-level

    def _run_rows(
        self,
        keys: list[str],
        sigs: list[str],
        specs: dict[str, tuple[Expectation, dict[str, Any]]],
        by_key: dict[str, ValidationTask],
    ) -> dict[tuple[str, str], ExpectationOutcome]:
        frame = self._frame(keys, self._group_columns(keys, sigs, specs, by_key), by_key)
        gx_expectations = []
        for sig in sigs:
            name, kwargs = specs[sig][0].type, dict(specs[sig][1])
            kwargs.pop("mostly", None)  # applied per item below
            gx_expectations.append(self.gx.expectation(name, kwargs))
        results = self.gx.run(frame, gx_expectations)
        outcomes: dict[tuple[str, str], ExpectationOutcome] = {}
        for sig, result in zip(sigs, results, strict=True):
            error = _exception(result)
            if error:
                raise RuntimeError(error)
            expectation, kwargs = specs[sig]
            column = kwargs["column"]
            scope = frame.query(kwargs["row_condition"]) if kwargs.get("row_condition") else frame
            nonnull = scope[column].notna().groupby(scope[KEY], sort=False).sum().to_dict()
            in_scope = scope.groupby(KEY, sort=False).size().to_dict()
            unexpected: dict[str, list[Any]] = defaultdict(list)
            for entry in result.result.get("unexpected_index_list") or []:
                unexpected[entry[KEY]].append(entry.get(column))
            mostly = float(kwargs.get("mostly", 1.0))
            counts_nulls = expectation.type == "expect_column_values_to_not_be_null"
            for key in keys:
                elements = int(in_scope.get(key, 0))
                base = elements if counts_nulls else int(nonnull.get(key, 0))
                bad = len(unexpected.get(key, []))
                ratio = 1.0 if base == 0 else 1 - bad / base
                outcomes[(sig, key)] = ExpectationOutcome(
                    type=expectation.type,
                    kwargs=jsonable(kwargs),
                    success=ratio >= mostly - 1e-12,
                    observed={
                        "element_count": elements,
                        "unexpected_count": bad,
                        "unexpected_percent": round(100 * bad / base, 3) if base else 0.0,
                    },
                    unexpected_count=bad,
                    unexpected_sample=jsonable(unexpected.get(key, [])[:SAMPLE]),
                )
        return outcomes

    # -- aggregates

    def _run_aggregates(
        self,
        keys: list[str],
        sigs: list[str],
        specs: dict[str, tuple[Expectation, dict[str, Any]]],
        by_key: dict[str, ValidationTask],
    ) -> dict[tuple[str, str], ExpectationOutcome]:
        import pandas as pd

        frame = self._frame(keys, self._group_columns(keys, sigs, specs, by_key), by_key)
        grouped = frame.groupby(KEY, sort=False)
        agg = pd.DataFrame({KEY: keys})
        gx_expectations = []
        for position, sig in enumerate(sigs):
            expectation, kwargs = specs[sig]
            how = SUPPORTED[expectation.type].aggregate or "count"
            name = f"_agg{position}"
            if how == "count":
                values = grouped.size()
            else:
                values = getattr(grouped[kwargs["column"]], how)()
            agg[name] = agg[KEY].map(values)
            if how == "count":
                agg[name] = agg[name].fillna(0).astype("int64")
            lowered: dict[str, Any] = {"column": name}
            if expectation.type == "expect_table_row_count_to_equal":
                lowered["min_value"] = lowered["max_value"] = kwargs["value"]
            else:
                for arg in ("min_value", "max_value", "strict_min", "strict_max"):
                    if arg in kwargs:
                        lowered[arg] = kwargs[arg]
            gx_expectations.append(
                self.gx.expectation("expect_column_values_to_be_between", lowered)
            )
        results = self.gx.run(agg, gx_expectations)
        outcomes: dict[tuple[str, str], ExpectationOutcome] = {}
        for position, (sig, result) in enumerate(zip(sigs, results, strict=True)):
            error = _exception(result)
            if error:
                raise RuntimeError(error)
            expectation, kwargs = specs[sig]
            failing = {entry[KEY] for entry in result.result.get("unexpected_index_list") or []}
            observed = dict(zip(agg[KEY], agg[f"_agg{position}"], strict=True))
            for key in keys:
                value = observed.get(key)
                null = (
                    value is None
                    or (isinstance(value, float) and math.isnan(value))
                    or bool(pd.isna(value))
                )
                success = key not in failing and not null
                outcomes[(sig, key)] = ExpectationOutcome(
                    type=expectation.type,
                    kwargs=jsonable(kwargs),
                    success=success,
                    observed=jsonable(None if null else value),
                    unexpected_count=0 if success else 1,
                    unexpected_sample=[] if success else [jsonable(None if null else value)],
                )
        return outcomes

    # -- one item at a time (fallback, and expectations that cannot be batched)

    def _run_one_by_one(
        self,
        keys: list[str],
        sigs: list[str],
        specs: dict[str, tuple[Expectation, dict[str, Any]]],
        by_key: dict[str, ValidationTask],
    ) -> dict[tuple[str, str], ExpectationOutcome]:
        import pandas as pd

        outcomes: dict[tuple[str, str], ExpectationOutcome] = {}
        for key in keys:
            evidence = by_key[key].evidence
            columns = list(evidence.columns)
            frame = (
                self._frame([key], columns, by_key)
                if evidence.rows
                else pd.DataFrame({c: [] for c in [*columns, KEY]})
            )
            try:
                built = [self.gx.expectation(specs[s][0].type, specs[s][1]) for s in sigs]
                results = self.gx.run(frame, built)
            except Exception as exc:
                for sig in sigs:
                    outcomes[(sig, key)] = ExpectationOutcome(
                        type=specs[sig][0].type,
                        kwargs=jsonable(specs[sig][1]),
                        success=False,
                        error=f"{specs[sig][0].type} could not run: {exc}",
                    )
                continue
            for sig, result in zip(sigs, results, strict=True):
                error = _exception(result)
                res = result.result or {}
                outcomes[(sig, key)] = ExpectationOutcome(
                    type=specs[sig][0].type,
                    kwargs=jsonable(specs[sig][1]),
                    success=bool(result.success) and not error,
                    observed=jsonable(
                        res.get(
                            "observed_value",
                            {k: res.get(k) for k in ("element_count", "unexpected_count")},
                        )
                    ),
                    unexpected_count=int(res.get("unexpected_count") or 0),
                    unexpected_sample=jsonable((res.get("partial_unexpected_list") or [])[:SAMPLE]),
                    error=f"{specs[sig][0].type} could not run: {error}" if error else None,
                )
        return outcomes

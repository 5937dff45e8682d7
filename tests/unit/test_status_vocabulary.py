"""One status vocabulary: every ``Status`` has its history count column and its console
style, and every status list written out in SQL is one of the model's sets. A new status
that one of them forgets fails here, not in a compliance analyst's query."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from readiness.console import STATUS_STYLE
from readiness.history.schema import EVALUATIONS
from readiness.model import FAILING, SATISFIED, Status

INCLUDE = Path(__file__).resolve().parents[2] / "include" / "readiness"
SQL_FILES = ["history/queries.py", "history/views.sql", "reports/queries.py"]
_LIST = re.compile(r"effective_status\s+(?:NOT\s+)?IN\s*\(([^)]*)\)", re.I)


def test_every_status_has_a_history_count_column_and_a_console_style() -> None:
    columns = {name for name, _type in EVALUATIONS}
    for status in Status:
        assert f"count_{status.value}" in columns, status
        assert status.value in STATUS_STYLE, status
    assert set(Status) == SATISFIED | FAILING and not SATISFIED & FAILING


@pytest.mark.parametrize("path", SQL_FILES)
def test_status_lists_in_sql_are_the_models_sets(path: str) -> None:
    text = (INCLUDE / path).read_text()
    lists = [frozenset(re.findall(r"'(\w+)'", m.group(1))) for m in _LIST.finditer(text)]
    assert lists, f"{path} has no status list"
    sets = {frozenset(s.value for s in SATISFIED), frozenset(s.value for s in FAILING)}
    for found in lists:
        assert found in sets, f"{path}: {sorted(found)} is neither SATISFIED nor FAILING"

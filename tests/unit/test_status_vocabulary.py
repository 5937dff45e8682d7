"""One status vocabulary: every ``Status`` has its history count column and its console
style, and every status list written out in SQL is one of the model's sets. A new status
that one of them forgets fails here, not in a compliance analyst's query."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from readiness.audit.oscal import FINDING_STATE
from readiness.audit.reports import queries as report_queries
from readiness.cli.console import STATUS_STYLE
from readiness.domain.model import FAILING, SATISFIED, Status
from readiness.history import queries as history_queries
from readiness.history.schema import EVALUATIONS
from readiness.history.sql import fill, view_statements

INCLUDE = Path(__file__).resolve().parents[2] / "include" / "readiness"
SQL_FILES = ["history/queries.py", "history/views.sql", "audit/reports/queries.py"]
_LIST = re.compile(r"effective_status\s+(?:NOT\s+)?IN\s*\(([^)]*)\)", re.I)


def test_every_status_has_a_count_column_a_console_style_and_an_oscal_state() -> None:
    columns = {name for name, _type in EVALUATIONS}
    for status in Status:
        assert f"count_{status.value}" in columns, status
        assert status.value in STATUS_STYLE, status
        assert FINDING_STATE[status] in ("satisfied", "not-satisfied"), status
    assert set(Status) == SATISFIED | FAILING and not SATISFIED & FAILING


@pytest.mark.parametrize("path", SQL_FILES)
def test_sql_never_writes_a_status_out(path: str) -> None:
    """Statuses reach SQL only through the placeholders ``model.SQL_TERMS`` fills in."""
    text = (INCLUDE / path).read_text()
    literals = {s.value for s in Status} & set(re.findall(r"'(\w+)'", text))
    assert not literals, f"{path} writes {sorted(literals)} out; use {{satisfied}}/{{failing}}"


def _rendered_sql() -> list[str]:
    queries = [v for m in (history_queries, report_queries) for v in vars(m).values()]
    texts = [fill(v, "ds") for v in queries if isinstance(v, str) and "FROM" in v]
    return texts + [sql for _name, sql in view_statements("ds", "duckdb")]


def test_rendered_status_lists_are_the_models_sets() -> None:
    lists = [
        frozenset(re.findall(r"'(\w+)'", m.group(1)))
        for text in _rendered_sql()
        for m in _LIST.finditer(text)
    ]
    assert len(lists) >= 5
    sets = {frozenset(s.value for s in SATISFIED), frozenset(s.value for s in FAILING)}
    for found in lists:
        assert found in sets, f"{sorted(found)} is neither SATISFIED nor FAILING"
    assert not any(
        "{" in text.replace("{dataset}", "") and "{satisfied}" in text for text in _rendered_sql()
    )

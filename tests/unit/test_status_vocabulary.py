"""One status vocabulary: ``model.STATUS_TABLE`` says what each status means, every other
module derives from it, and every status list written out (in Python, SQL, the SQL blocks
of docs/*.md and the docs' prose) is one of the model's sets. A new status that one of
them forgets fails here, not in a compliance analyst's query."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from readiness.audit.oscal import FINDING_STATE
from readiness.audit.reports import queries as report_queries
from readiness.cli.console import STATUS_STYLE
from readiness.domain.model import FAILING, PASSING, SATISFIED, STATUS_TABLE, Status, status_css
from readiness.history import queries as history_queries
from readiness.history.schema import EVALUATIONS
from readiness.history.sql import fill, view_statements

ROOT = Path(__file__).resolve().parents[2]
INCLUDE = ROOT / "include" / "readiness"
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


def test_every_status_has_a_row_in_the_status_table_and_the_pages_colour_it() -> None:
    assert set(STATUS_TABLE) == set(Status)
    assert PASSING <= SATISFIED
    css = status_css()
    for status in Status:
        assert f".s-{status.value}{{" in css, status


_VALUES = {s.value for s in Status}
_SETS = {
    frozenset(s.value for s in SATISFIED),
    frozenset(s.value for s in PASSING),
    frozenset(s.value for s in FAILING),
    frozenset(_VALUES),
}


def _python_files() -> list[Path]:
    files = [*INCLUDE.rglob("*.py"), *(ROOT / "plugins").rglob("*.py")]
    return [f for f in files if not f.name.startswith("test_") and f.name != "model.py"]


def _status_group(node: ast.AST) -> set[str] | None:
    """The statuses a tuple, list or set literal names, as strings or ``Status`` members."""
    if not isinstance(node, ast.Tuple | ast.List | ast.Set) or len(node.elts) < 2:
        return None
    names: set[str] = set()
    for elt in node.elts:
        if isinstance(elt, ast.Constant) and elt.value in _VALUES:
            names.add(str(elt.value))
        elif isinstance(elt, ast.Attribute) and getattr(elt.value, "id", "") == "Status":
            names.add(Status[elt.attr].value)
        else:
            return None
    return names


@pytest.mark.parametrize("path", _python_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_writes_a_set_of_statuses_out(path: Path) -> None:
    """The satisfied set written as ``("pass", "waived", "not_applicable")`` in the engine, the
    portfolio and the report let a new satisfied status count as failing there."""
    groups = [g for n in ast.walk(ast.parse(path.read_text())) if (g := _status_group(n))]
    assert not groups, f"{path.name} writes {groups} out; derive it from model.STATUS_TABLE"


def test_no_page_styles_a_status_by_hand() -> None:
    ui = (ROOT / "plugins" / "readiness_airflow" / "ui.py").read_text()
    assert not re.findall(r"\.s-(?:" + "|".join(_VALUES) + r")\b", ui)


_DOCS = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]
_SQL_BLOCK = re.compile(r"```sql\n(.*?)```", re.S)
_PROSE_LIST = re.compile(r"`(\w+)`((?:(?:, or |, | or | and |/| · )`\w+`)+)")


@pytest.mark.parametrize("doc", _DOCS, ids=lambda p: p.name)
def test_the_docs_status_lists_are_the_models_sets(doc: Path) -> None:
    text = doc.read_text()
    for block in _SQL_BLOCK.findall(text):
        for m in re.finditer(r"status\s+(?:NOT\s+)?IN\s*\(([^)]*)\)", block, re.I):
            found = frozenset(re.findall(r"'(\w+)'", m.group(1)))
            assert found in _SETS, f"{doc.name}: SQL lists {sorted(found)}"
    for m in _PROSE_LIST.finditer(text):
        names = [m.group(1), *re.findall(r"`(\w+)`", m.group(2))]
        statuses = frozenset(n for n in names if n in _VALUES)
        if len(statuses) == len(names) >= 3:  # two may be a choice, not a set
            assert statuses in _SETS, f"{doc.name}: lists {names}, not one of the model's sets"

"""The view SQL, written once in GoogleSQL and translated per backend."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from readiness.domain.model import SQL_TERMS

VIEWS_FILE = Path(__file__).with_name("views.sql")


def fill(text: str, dataset: str) -> str:
    """``{dataset}`` and the status placeholders (``model.SQL_TERMS``) filled in."""
    for term, sql in SQL_TERMS.items():
        text = text.replace(term, sql)
    return text.replace("{dataset}", dataset)


def view_statements(dataset: str, dialect: str) -> list[tuple[str, str]]:
    """(view name, CREATE VIEW statement) in ``dialect`` (``bigquery`` or ``duckdb``)."""
    import sqlglot

    text = fill(VIEWS_FILE.read_text(), dataset)
    out = []
    for statement in sqlglot.parse(text, read="bigquery"):
        if statement is None:
            continue
        name = statement.this.name if hasattr(statement.this, "name") else ""
        out.append((name, statement.sql(dialect=dialect, pretty=True)))
    return out


@lru_cache(maxsize=256)
def translate(googlesql: str, dataset: str, dialect: str) -> str:
    """One query of ``queries.py`` (GoogleSQL, ``@name`` parameters) in ``dialect``, with
    ``{dataset}`` filled in; ``@name`` becomes DuckDB's ``$name``."""
    import sqlglot

    text = fill(googlesql, dataset)
    if dialect == "bigquery":
        return text
    return str(sqlglot.transpile(text, read="bigquery", write=dialect)[0])


def view_names() -> list[str]:
    import re

    return re.findall(r"CREATE OR REPLACE VIEW \{dataset\}\.(\w+)", VIEWS_FILE.read_text())

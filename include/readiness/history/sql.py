"""The view SQL, written once in GoogleSQL and translated per backend."""

from __future__ import annotations

from pathlib import Path

VIEWS_FILE = Path(__file__).with_name("views.sql")


def view_statements(dataset: str, dialect: str) -> list[tuple[str, str]]:
    """(view name, CREATE VIEW statement) in ``dialect`` (``bigquery`` or ``duckdb``)."""
    import sqlglot

    text = VIEWS_FILE.read_text().replace("{dataset}", dataset)
    out = []
    for statement in sqlglot.parse(text, read="bigquery"):
        if statement is None:
            continue
        name = statement.this.name if hasattr(statement.this, "name") else ""
        out.append((name, statement.sql(dialect=dialect, pretty=True)))
    return out


def view_names() -> list[str]:
    import re

    return re.findall(r"CREATE OR REPLACE VIEW \{dataset\}\.(\w+)", VIEWS_FILE.read_text())

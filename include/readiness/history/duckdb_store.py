"""History in DuckDB: the embedded default, one file under the project.

DuckDB allows one writing process per file, and Airflow may run two services' tasks at
once, so every operation opens the file briefly and retries while another holds the lock.
Timestamps are stored as UTC ``TIMESTAMP`` (no ICU extension needed) and read back aware.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from readiness.domain.model import ServiceEvaluation
from readiness.domain.verdicts import ChainLink, Verdict
from readiness.history import IssueLink, RunMeta
from readiness.history.rows import evaluation_row, item_rows
from readiness.history.schema import TABLES
from readiness.history.sql import translate, view_statements
from readiness.history.sqlstore import SqlHistory
from readiness.support import failpoints
from readiness.support.timeutil import utcnow

_TYPES = {
    "STRING": "VARCHAR",
    "INT64": "BIGINT",
    "BOOL": "BOOLEAN",
    "TIMESTAMP": "TIMESTAMP",
    "JSON": "VARCHAR",
    "DATE": "DATE",
}
_LOCK_WAIT_S = 60.0


def _naive(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def _aware(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _is_timestamp(kind: Any) -> bool:
    """Whether a result column's DuckDB type is a (scalar) timestamp."""
    text = str(kind)
    return text.startswith("TIMESTAMP") and not text.endswith("]")


class DuckDBHistory(SqlHistory):
    backend = "duckdb"

    def __init__(
        self, path: Path, dataset: str = "readiness", lock_wait_s: float = _LOCK_WAIT_S
    ) -> None:
        self.path = path
        self.dataset = dataset
        #: how long an operation waits for another process's lock before it fails
        self.lock_wait_s = lock_wait_s
        self._ready = False
        self._held: Any = None

    @classmethod
    def from_url(
        cls, url: str, project_root: str, dataset: str = "readiness", **_: Any
    ) -> DuckDBHistory:
        raw = url[len("duckdb://") :] if url.startswith("duckdb://") else url
        path = Path(raw)
        if not path.is_absolute():
            path = Path(project_root) / path
        return cls(path, dataset)

    @contextmanager
    def _connect(self) -> Iterator[Any]:
        if self._held is not None:  # inside session(): reuse the run's connection
            yield self._held
            return
        import duckdb

        self.path.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + self.lock_wait_s
        delay = 0.05
        while True:
            try:
                con = duckdb.connect(str(self.path))
                break
            except duckdb.IOException as exc:
                if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                    raise
                time.sleep(delay + random.uniform(0, delay))  # another writer holds the file
                delay = min(delay * 2, 2.0)
        try:
            if not self._ready:
                self._init(con)
            yield con
        finally:
            con.close()

    @contextmanager
    def session(self) -> Iterator[None]:
        """Hold one connection for a whole run (a connect costs ~12 ms; a run makes three
        reads per service). Outside a session every call opens and closes the file, so a
        long-lived process never blocks other writers."""
        if self._held is not None:
            yield
            return
        with self._connect() as con:
            self._held = con
            try:
                yield
            finally:
                self._held = None

    def init(self) -> list[str]:
        """Schema, additive columns and views are (re)created on every connect."""
        with self._connect():
            pass
        return []

    def _init(self, con: Any) -> None:
        ds = self.dataset
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {ds}")
        for table, columns in TABLES.items():
            cols = ", ".join(f"{name} {_TYPES[kind]}" for name, kind in columns)
            con.execute(f"CREATE TABLE IF NOT EXISTS {ds}.{table} ({cols})")
            existing = {
                row[0]
                for row in con.execute(
                    "SELECT column_name FROM information_schema.columns "
                    "WHERE table_schema = ? AND table_name = ?",
                    [ds, table],
                ).fetchall()
            }
            for name, kind in columns:  # additive schema evolution
                if name not in existing:
                    con.execute(f"ALTER TABLE {ds}.{table} ADD COLUMN {name} {_TYPES[kind]}")
        for _name, statement in view_statements(ds, "duckdb"):
            con.execute(statement)
        self._ready = True

    # -- writes

    def write(self, evaluations: Sequence[ServiceEvaluation], meta: RunMeta) -> None:
        recorded_at = utcnow()
        self.write_rows(
            [row for ev in evaluations for row in item_rows(ev)],
            [evaluation_row(ev, meta, recorded_at) for ev in evaluations],
        )

    def write_rows(self, items: list[dict[str, Any]], runs: list[dict[str, Any]]) -> None:
        """Replace the rows of these runs (idempotent by run_id) in one transaction."""
        import pandas as pd

        if not runs:
            return
        eval_rows, result_rows = runs, items
        run_ids = [row["run_id"] for row in runs]
        ds = self.dataset
        with self._connect() as con:
            con.execute("BEGIN TRANSACTION")
            try:
                for table, rows in (("evaluations", eval_rows), ("item_results", result_rows)):
                    con.execute(
                        f"DELETE FROM {ds}.{table} WHERE run_id IN (SELECT unnest(?::VARCHAR[]))",
                        [run_ids],
                    )
                    names = [name for name, _ in TABLES[table]]
                    frame = pd.DataFrame(
                        [{n: _naive(r.get(n)) for n in names} for r in rows], columns=names
                    )
                    con.register("staging_rows", frame)
                    casts = ", ".join(f"CAST({n} AS {_TYPES[k]}) AS {n}" for n, k in TABLES[table])
                    con.execute(f"INSERT INTO {ds}.{table} SELECT {casts} FROM staging_rows")
                    con.unregister("staging_rows")
                failpoints.hit("record")
                con.execute("COMMIT")
            except Exception:
                con.execute("ROLLBACK")
                raise

    def save_events(self, rows: Sequence[dict[str, Any]]) -> int:
        return self._append_new("exemption_events", rows)

    def _append_new(self, table_name: str, rows: Sequence[dict[str, Any]]) -> int:
        """Append the rows whose ``event_id`` is not in the table yet, in one
        transaction."""
        import pandas as pd

        if not rows:
            return 0
        columns = TABLES[table_name]
        names = [n for n, _ in columns]
        recorded_at = utcnow()
        frame = pd.DataFrame(
            [
                {n: _naive(r.get(n, recorded_at if n == "recorded_at" else None)) for n in names}
                for r in rows
            ],
            columns=names,
        ).drop_duplicates("event_id")
        casts = ", ".join(f"CAST({n} AS {_TYPES[k]}) AS {n}" for n, k in columns)
        table = f"{self.dataset}.{table_name}"
        with self._connect() as con:
            con.register("staging_events", frame)
            try:
                before = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                con.execute(
                    f"INSERT INTO {table} SELECT {casts} FROM staging_events "
                    f"WHERE event_id NOT IN (SELECT event_id FROM {table})"
                )
                added: int = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] - before
            finally:
                con.unregister("staging_events")
        return added

    def append_verdict(
        self, service: str, run_id: str, build: Callable[[ChainLink], Verdict]
    ) -> Verdict:
        """Read the chain head, sign, insert, in one transaction: DuckDB has one writer
        per file, so no other run can take the same place in the chain."""
        names = [name for name, _ in TABLES["verdicts"]]
        with self.session():
            con = self._held
            con.execute("BEGIN TRANSACTION")
            try:
                verdict = build(self._link(service, run_id))
                row = verdict.row()
                con.execute(
                    f"INSERT INTO {self.dataset}.verdicts ({', '.join(names)}) "
                    f"VALUES ({', '.join('?' for _ in names)})",
                    [_naive(row.get(n)) for n in names],
                )
                con.execute("COMMIT")
            except Exception:
                con.execute("ROLLBACK")
                raise
        return verdict

    def save_link(self, link: IssueLink) -> None:
        names = [name for name, _ in TABLES["issue_links"]]
        values = [_naive(getattr(link, n)) for n in names]
        with self._connect() as con:
            con.execute("BEGIN TRANSACTION")
            try:
                con.execute(
                    f"DELETE FROM {self.dataset}.issue_links WHERE episode_id = ?",
                    [link.episode_id],
                )
                con.execute(
                    f"INSERT INTO {self.dataset}.issue_links ({', '.join(names)}) "
                    f"VALUES ({', '.join('?' for _ in names)})",
                    values,
                )
                con.execute("COMMIT")
            except Exception:
                # never leave a held connection (a session) mid-transaction
                con.execute("ROLLBACK")
                raise

    # -- reads

    def native(self, googlesql: str) -> str:
        return translate(googlesql, self.dataset, "duckdb")

    def query(self, sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run a parameterised DuckDB query (``$name`` placeholders); rows as dicts, with
        timestamps UTC-aware (they are stored as naive UTC)."""
        bound = {k: _naive(v) for k, v in (params or {}).items()}
        with self._connect() as con:
            cursor = con.execute(sql, bound)
            names = [d[0] for d in cursor.description]
            # only timestamp columns can hold a naive datetime: converting every value of
            # every row was most of the portfolio's time at 10,000 services (1.2 M calls)
            stamps = [
                n for n, d in zip(names, cursor.description, strict=True) if _is_timestamp(d[1])
            ]
            out = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
            for row in out:
                for n in stamps:
                    row[n] = _aware(row[n])
            return out

    def close(self) -> None:
        """Connections are per operation; nothing to release."""

"""History in DuckDB: the embedded default, one file under the project.

DuckDB allows one writing process per file, and Airflow may run two services' tasks at
once, so every operation opens the file briefly and retries while another holds the lock.
Timestamps are stored as UTC ``TIMESTAMP`` (no ICU extension needed) and read back aware.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from readiness.history import IssueLink, RunMeta, ServiceSnapshot
from readiness.history.rows import evaluation_row, item_rows
from readiness.history.schema import TABLES
from readiness.history.sql import view_statements
from readiness.model import PriorItemState, ServiceEvaluation, Status
from readiness.timeutil import utcnow

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


class DuckDBHistory:
    backend = "duckdb"

    def __init__(self, path: Path, dataset: str = "readiness") -> None:
        self.path = path
        self.dataset = dataset
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
        deadline = time.monotonic() + _LOCK_WAIT_S
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

    def init(self) -> None:
        with self._connect():
            pass

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
        """Replace the rows of these runs (idempotent by run_id) in one transaction."""
        import pandas as pd

        if not evaluations:
            return
        recorded_at = utcnow()
        eval_rows = [evaluation_row(ev, meta, recorded_at) for ev in evaluations]
        result_rows = [row for ev in evaluations for row in item_rows(ev)]
        run_ids = [ev.run_id for ev in evaluations]
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
                con.execute("COMMIT")
            except Exception:
                con.execute("ROLLBACK")
                raise

    def save_link(self, link: IssueLink) -> None:
        names = [name for name, _ in TABLES["issue_links"]]
        values = [_naive(getattr(link, n)) for n in names]
        with self._connect() as con:
            con.execute("BEGIN TRANSACTION")
            con.execute(
                f"DELETE FROM {self.dataset}.issue_links WHERE episode_id = ?", [link.episode_id]
            )
            con.execute(
                f"INSERT INTO {self.dataset}.issue_links ({', '.join(names)}) "
                f"VALUES ({', '.join('?' for _ in names)})",
                values,
            )
            con.execute("COMMIT")

    # -- reads

    def query(self, sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run a parameterised query (``$name`` placeholders); rows as dicts."""
        with self._connect() as con:
            cursor = con.execute(sql, params or {})
            names = [d[0] for d in cursor.description]
            return [
                {n: _aware(v) for n, v in zip(names, row, strict=True)} for row in cursor.fetchall()
            ]

    def prior_states(
        self, service: str, as_of: datetime, exclude_run_id: str
    ) -> dict[str, PriorItemState]:
        rows = self.query(
            f"SELECT item_id, status, effective_status, error_streak, reason, episode_id "
            f"FROM {self.dataset}.item_results "
            f"WHERE service = $service AND evaluated_at <= $as_of AND run_id <> $run_id "
            f"QUALIFY ROW_NUMBER() OVER (PARTITION BY item_id "
            f"ORDER BY evaluated_at DESC, run_id DESC) = 1",
            {"service": service, "as_of": _naive(as_of), "run_id": exclude_run_id},
        )
        return {
            r["item_id"]: PriorItemState(
                status=Status(r["status"]),
                effective_status=Status(r["effective_status"]),
                error_streak=int(r["error_streak"] or 0),
                reason=r["reason"] or "",
                episode_id=r["episode_id"],
            )
            for r in rows
        }

    def previous_level(self, service: str, as_of: datetime, exclude_run_id: str) -> str | None:
        rows = self.query(
            f"SELECT achieved_level FROM {self.dataset}.evaluations "
            f"WHERE service = $service AND evaluated_at <= $as_of AND run_id <> $run_id "
            f"ORDER BY evaluated_at DESC, run_id DESC LIMIT 1",
            {"service": service, "as_of": _naive(as_of), "run_id": exclude_run_id},
        )
        return rows[0]["achieved_level"] if rows else None

    def links(self, service: str) -> list[IssueLink]:
        rows = self.query(
            f"SELECT * FROM {self.dataset}.issue_links WHERE service = $service "
            f"ORDER BY opened_at, episode_id",
            {"service": service},
        )
        names = {name for name, _ in TABLES["issue_links"]}
        return [IssueLink(**{k: v for k, v in r.items() if k in names}) for r in rows]

    def services(self) -> list[str]:
        rows = self.query(
            f"SELECT DISTINCT service FROM {self.dataset}.evaluations ORDER BY service"
        )
        return [r["service"] for r in rows]

    def snapshot(self, service: str, as_of: datetime | None = None) -> ServiceSnapshot | None:
        params: dict[str, Any] = {"service": service}
        when = ""
        if as_of is not None:
            when = "AND evaluated_at <= $as_of"
            params["as_of"] = _naive(as_of)
        rows = self.query(
            f"SELECT * FROM {self.dataset}.evaluations WHERE service = $service {when} "
            f"ORDER BY evaluated_at DESC, run_id DESC LIMIT 1",
            params,
        )
        if not rows:
            return None
        ev = rows[0]
        failing = self.query(
            f"SELECT item_id, title, required_from, severity, status, effective_status, "
            f"reason, evidence_uri FROM {self.dataset}.item_results WHERE run_id = $run_id "
            f"AND effective_status NOT IN ('pass', 'waived', 'not_applicable') "
            f"ORDER BY required_rank, item_id",
            {"run_id": ev["run_id"]},
        )
        counts = {s.value: int(ev[f"count_{s.value}"] or 0) for s in Status}
        return ServiceSnapshot(
            service=service,
            run_id=ev["run_id"],
            evaluated_at=ev["evaluated_at"],
            achieved_level=ev["achieved_level"],
            previous_level=ev["previous_level"],
            target_level=ev["target_level"],
            achieved_rank=int(ev["achieved_rank"]),
            target_rank=int(ev["target_rank"]),
            counts=counts,
            failing=failing,
        )

    def timeline(self, service: str, since: datetime | None) -> list[dict[str, Any]]:
        return self.query(
            f"SELECT evaluated_at, run_id, trigger, achieved_level, previous_level, "
            f"target_level, regressions, count_pass, count_fail, count_stale, count_missing, "
            f"count_error, count_waived FROM {self.dataset}.evaluations "
            f"WHERE service = $service AND evaluated_at >= $since "
            f"ORDER BY evaluated_at, run_id",
            {"service": service, "since": _naive(since or datetime(1970, 1, 1, tzinfo=UTC))},
        )

    def transitions(self, service: str, since: datetime | None) -> list[dict[str, Any]]:
        return self.query(
            f"SELECT evaluated_at, item_id, title, previous_status, status, effective_status, "
            f"regressed, reason FROM {self.dataset}.item_results "
            f"WHERE service = $service AND evaluated_at >= $since "
            f"AND previous_status IS NOT NULL AND previous_status <> status "
            f"ORDER BY evaluated_at, item_id",
            {"service": service, "since": _naive(since or datetime(1970, 1, 1, tzinfo=UTC))},
        )

    def close(self) -> None:
        """Connections are per operation; nothing to release."""

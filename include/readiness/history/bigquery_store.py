"""History in BigQuery: what production uses, selected by ``history:
bigquery://<project>/<dataset>`` alone (location from ``bigquery_location``).

Writes are load jobs, never streaming inserts: load jobs are free and atomic, while
streaming is billed per row and its de-duplication is best effort. One run's rows are
loaded into a staging table of their own, then one ``MERGE`` per table replaces exactly
that run's rows (``ON FALSE``: delete what the run wrote before, insert what it writes now,
in one atomic statement), then the staging table is dropped; it also expires after an hour,
so a crash leaves nothing behind. ``item_results`` is merged before ``evaluations``, so a
reader never sees a run without its items, and a retry after a crash between the two
converges on the same rows.

Tables are partitioned by evaluation day and clustered by what analysts filter on, with no
partition expiration (compliance keeps years). Credentials are Application Default
Credentials (Workload Identity); ``bigquery_endpoint`` is for emulators only."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

from readiness.clients.bigquery import bigquery_client, query_parameter
from readiness.domain.model import ServiceEvaluation
from readiness.domain.verdicts import ChainLink, Verdict, next_link
from readiness.history import IssueLink, RunMeta, VerdictClaim
from readiness.history import queries as q
from readiness.history.rows import evaluation_row, item_rows
from readiness.history.schema import PARTITIONING, TABLES
from readiness.history.sql import VIEWS_FILE, fill, view_statements
from readiness.history.sqlstore import SqlHistory
from readiness.support import failpoints
from readiness.support.jsonvalues import jsonable
from readiness.support.timeutil import utcnow

log = logging.getLogger(__name__)
VIEWS_LABEL = "readiness_views"
STAGING_TTL = timedelta(hours=1)


def _plain(value: Any) -> Any:
    """A load-job value: timestamps in UTC, the rest as every other JSON writer does."""
    if isinstance(value, datetime):
        value = value.astimezone(UTC)
    return jsonable(value)


class BigQueryHistory(SqlHistory):
    backend = "bigquery"

    def __init__(
        self,
        project: str,
        dataset: str = "readiness",
        location: str = "EU",
        endpoint: str | None = None,
        timeout_s: float = 300.0,
        client: Any = None,
    ) -> None:
        self.project = project
        self.dataset = dataset
        self.location = location
        self.endpoint = endpoint or None
        self.timeout_s = timeout_s
        self._client = client
        self._ready = False

    @classmethod
    def from_url(
        cls,
        url: str,
        dataset: str = "readiness",
        location: str = "EU",
        endpoint: str | None = None,
        timeout_s: float = 300.0,
        **_: Any,
    ) -> BigQueryHistory:
        """``bigquery://<project>`` or ``bigquery://<project>/<dataset>``."""
        rest = url[len("bigquery://") :].strip("/")
        project, _slash, named = rest.partition("/")
        if not project:
            from readiness.support.errors import ConfigError, Problem

            raise ConfigError(
                [Problem("readiness.yaml", "history", "expected bigquery://<project>/<dataset>")]
            )
        return cls(project, named or dataset, location, endpoint, timeout_s)

    @property
    def client(self) -> Any:
        """Built on first use: nothing is imported or authenticated until a run needs it."""
        if self._client is None:
            self._client = bigquery_client(self.project, self.location, self.endpoint)
        return self._client

    @property
    def ref(self) -> str:
        """The dataset as SQL names it (projects may contain dashes)."""
        return f"`{self.project}`.{self.dataset}"

    def _retry(self) -> Any:
        from google.cloud.bigquery import DEFAULT_RETRY

        return DEFAULT_RETRY.with_timeout(self.timeout_s)

    @contextmanager
    def session(self) -> Iterator[None]:
        yield  # the client keeps its own connection pool

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    # ------------------------------------------------------------------ schema

    def init(self, force_views: bool = False) -> list[str]:
        """Create the dataset, tables and views if missing; add new columns to existing
        tables (never drop or retype one). Returns what it changed. Idempotent; a store
        does it once."""
        if self._ready and not force_views:
            return []
        from google.api_core.exceptions import NotFound
        from google.cloud import bigquery

        changes: list[str] = []
        retry = self._retry()
        try:
            dataset = self.client.get_dataset(f"{self.project}.{self.dataset}", retry=retry)
        except NotFound:
            dataset = bigquery.Dataset(f"{self.project}.{self.dataset}")
            dataset.location = self.location
            dataset.description = "readiness: evaluations, item results and issue links"
            dataset = self.client.create_dataset(dataset, exists_ok=True, retry=retry)
            changes.append(f"created dataset {self.project}.{self.dataset} in {self.location}")
        for table, columns in TABLES.items():
            changes.extend(self._ensure_table(table, columns))
        views_sha = hashlib.sha256(VIEWS_FILE.read_bytes()).hexdigest()[:16]
        labels = dict(dataset.labels or {})
        if force_views or changes or labels.get(VIEWS_LABEL) != views_sha:
            for name, statement in view_statements(self.ref, "bigquery"):
                self._run(statement)
                changes.append(f"created or replaced view {self.dataset}.{name}")
            dataset.labels = {**labels, VIEWS_LABEL: views_sha}
            self.client.update_dataset(dataset, ["labels"], retry=retry)
        self._ready = True
        for change in changes:
            log.info("bigquery history: %s", change)
        return changes

    def _schema(self, columns: Sequence[tuple[str, str]]) -> list[Any]:
        from google.cloud import bigquery

        return [bigquery.SchemaField(name, kind, mode="NULLABLE") for name, kind in columns]

    def _ensure_table(self, table: str, columns: Sequence[tuple[str, str]]) -> list[str]:
        from google.api_core.exceptions import NotFound
        from google.cloud import bigquery

        table_id = f"{self.project}.{self.dataset}.{table}"
        retry = self._retry()
        try:
            existing = self.client.get_table(table_id, retry=retry)
        except NotFound:
            spec = bigquery.Table(table_id, schema=self._schema(columns))
            partition, clustering = PARTITIONING[table]
            if partition:
                # No expiration: compliance keeps history for years (seed 004 CO4: 7 y).
                spec.time_partitioning = bigquery.TimePartitioning(
                    type_=bigquery.TimePartitioningType.DAY, field=partition
                )
            spec.clustering_fields = clustering or None
            self.client.create_table(spec, exists_ok=True, retry=retry)
            return [f"created table {self.dataset}.{table}"]
        have = {field.name for field in existing.schema}
        missing = [(n, k) for n, k in columns if n not in have]
        if not missing:
            return []
        # DDL, additive only: ADD COLUMN never rewrites or breaks existing rows. One
        # statement per column (new columns are rare; the emulator takes one at a time).
        for name, kind in missing:
            self._run(f"ALTER TABLE {self.ref}.{table} ADD COLUMN IF NOT EXISTS {name} {kind}")
        return [f"added {', '.join(n for n, _ in missing)} to {self.dataset}.{table}"]

    # ------------------------------------------------------------------ writes

    def write(self, evaluations: Sequence[ServiceEvaluation], meta: RunMeta) -> None:
        recorded_at = utcnow()
        self.write_rows(
            [row for ev in evaluations for row in item_rows(ev)],
            [evaluation_row(ev, meta, recorded_at) for ev in evaluations],
        )

    def write_rows(self, items: list[dict[str, Any]], runs: list[dict[str, Any]]) -> None:
        """Replace the runs' rows: one look-up, then one load job and one ``MERGE`` per
        table, however many runs the rows hold."""
        if not runs:
            return
        self.init()
        run_ids = sorted({row["run_id"] for row in runs})
        services = sorted({row["service"] for row in runs})
        days = self._days(runs, run_ids, services)
        self._replace("item_results", items, run_ids, services, days)
        failpoints.hit("record")  # between the two tables: the retry must converge
        self._replace("evaluations", runs, run_ids, services, days)

    def _days(
        self, runs: Sequence[dict[str, Any]], run_ids: list[str], services: list[str]
    ) -> list[date]:
        """The evaluation days the runs' rows live in: the new rows' days, and any other
        day the same run ids were recorded on before (a manual run re-recorded with another
        ``--as-of``). Looked up in ``evaluations``, one row per run, clustered by service,
        so the replace below can name its partitions."""
        days = {row["evaluated_at"].astimezone(UTC).date() for row in runs}
        rows = self._run(
            f"SELECT DISTINCT DATE(evaluated_at) AS day FROM {self.ref}.evaluations "
            "WHERE service IN UNNEST(@services) AND run_id IN UNNEST(@run_ids)",
            {"services": services, "run_ids": run_ids},
        )
        days.update(row["day"] for row in rows)
        return sorted(days)

    def _replace(
        self,
        table: str,
        rows: list[dict[str, Any]],
        run_ids: list[str],
        services: list[str],
        days: list[date],
    ) -> None:
        """Load ``rows`` into a staging table, MERGE them over the runs' old rows, drop it.

        The delete names the runs' partitions (``DATE(T.evaluated_at) IN UNNEST(@days)``),
        so BigQuery reads those days only: a write costs what its run holds, not the whole
        history (docs/history.md)."""
        names = [n for n, _ in TABLES[table]]
        with self._staged(table, TABLES[table], rows) as source:
            self._run(
                f"MERGE {self.ref}.{table} AS T USING {source} AS S ON FALSE "
                f"WHEN NOT MATCHED BY SOURCE AND DATE(T.evaluated_at) IN UNNEST(@days) "
                f"AND T.service IN UNNEST(@services) "
                f"AND T.run_id IN UNNEST(@run_ids) THEN DELETE "
                f"WHEN NOT MATCHED THEN INSERT ({', '.join(names)}) "
                f"VALUES ({', '.join(f'S.{n}' for n in names)})",
                {"services": services, "run_ids": run_ids, "days": days},
            )

    @contextmanager
    def _staged(
        self, table: str, columns: Sequence[tuple[str, str]], rows: list[dict[str, Any]]
    ) -> Iterator[str]:
        """``rows`` in a staging table of their own (one load job: free, atomic), named as
        SQL names it; dropped afterwards, and expiring in an hour if a crash strands it."""
        from google.cloud import bigquery

        names = [n for n, _ in columns]
        json_columns = {n for n, k in columns if k == "JSON"}
        staging = f"{self.project}.{self.dataset}._staging_{table}_{uuid.uuid4().hex[:12]}"
        lines = []
        for row in rows:
            out = {n: _plain(row.get(n)) for n in names}
            for n in json_columns:  # a JSON column is loaded as the value, not its text
                if isinstance(out[n], str):
                    out[n] = json.loads(out[n])
            lines.append(json.dumps(out, separators=(",", ":")))
        config = bigquery.LoadJobConfig(
            source_format=bigquery.SourceFormat.NEWLINE_DELIMITED_JSON,
            schema=self._schema(columns),
            write_disposition=bigquery.WriteDisposition.WRITE_TRUNCATE,
            create_disposition=bigquery.CreateDisposition.CREATE_IF_NEEDED,
        )
        try:
            job = self.client.load_table_from_file(
                io.BytesIO("\n".join(lines).encode()), staging, job_config=config
            )
            job.result(timeout=self.timeout_s)
            self._expire(staging)
            yield f"`{self.project}`.{self.dataset}.{staging.rsplit('.', 1)[1]}"
        finally:
            self.client.delete_table(staging, not_found_ok=True, retry=self._retry())

    def _expire(self, table_id: str) -> None:
        """A staging table a crash left behind removes itself."""
        try:
            table = self.client.get_table(table_id, retry=self._retry())
            table.expires = utcnow() + STAGING_TTL
            self.client.update_table(table, ["expires"], retry=self._retry())
        except Exception:  # best effort: the finally-drop is the main path
            log.debug("could not set an expiry on %s", table_id, exc_info=True)

    def save_events(self, rows: Sequence[dict[str, Any]]) -> int:
        return self._append_new("exemption_events", rows)

    def _append_new(self, table_name: str, rows: Sequence[dict[str, Any]]) -> int:
        """Append the rows whose ``event_id`` is not in the table yet: one read of the
        ids, then one ``MERGE`` for the new ones only, so a run that changes nothing spends
        no DML statement."""
        if not rows:
            return 0
        self.init()
        ids = sorted({r["event_id"] for r in rows})
        known = {
            r["event_id"]
            for r in self._run(
                f"SELECT event_id FROM {self.ref}.{table_name} WHERE event_id IN UNNEST(@ids)",
                {"ids": ids},
            )
        }
        fresh = list({r["event_id"]: r for r in rows if r["event_id"] not in known}.values())
        if not fresh:
            return 0
        columns = TABLES[table_name]
        names = [n for n, _ in columns]
        recorded_at = utcnow()
        params: dict[str, Any] = {}
        types: dict[str, str] = {}
        selects = []
        for i, row in enumerate(fresh):
            parts = []
            for name, kind in columns:
                value = recorded_at if name == "recorded_at" else row.get(name)
                key = f"{name}_{i}"
                params[key], types[key] = value, kind
                cast = "PARSE_JSON(@{k})" if kind == "JSON" else "@{k}"
                parts.append(f"{cast.format(k=key)} AS {name}")
            selects.append("SELECT " + ", ".join(parts))
        self._run(
            f"MERGE {self.ref}.{table_name} AS T USING ({' UNION ALL '.join(selects)}) AS S "
            "ON T.event_id = S.event_id "
            f"WHEN NOT MATCHED THEN INSERT ({', '.join(names)}) "
            f"VALUES ({', '.join(f'S.{n}' for n in names)})",
            params,
            types=types,
        )
        return len(fresh)

    def append_verdict(
        self, service: str, run_id: str, build: Callable[[ChainLink], Verdict]
    ) -> Verdict:
        """Claim the next place in the chain with a conditional ``MERGE`` (insert only if
        no verdict holds that sequence yet); a writer that lost the race reads the new head
        and signs again. One DML statement per run, on a table clustered by service."""
        self.init()
        columns = TABLES["verdicts"]
        names = [n for n, _ in columns]
        for _attempt in range(8):
            verdict = build(self._link(service, run_id))
            row = verdict.row()
            select = ", ".join(f"@{n} AS {n}" for n in names)
            job = self._job(
                f"MERGE {self.ref}.verdicts AS T USING (SELECT {select}) AS S "
                "ON T.service = S.service AND T.sequence = S.sequence "
                f"WHEN NOT MATCHED THEN INSERT ({', '.join(names)}) "
                f"VALUES ({', '.join(f'S.{n}' for n in names)})",
                {n: row.get(n) for n in names},
                types=dict(columns),
            )
            if job.num_dml_affected_rows in (None, 1):
                return verdict
            log.info(
                "verdict %s of %s was taken by another run; signing again", row["sequence"], service
            )
        raise RuntimeError(f"could not append a verdict for {service}: the chain kept moving")

    def append_verdicts(self, claims: Sequence[VerdictClaim]) -> list[Verdict]:
        """A batch's verdicts in one read of the chain heads, one load job and one
        ``MERGE``, whatever the batch's size. The ``MERGE`` inserts a service's verdicts
        only if no verdict holds its first new place or any after it, so each service's
        verdicts land together or not at all and no chain is left with a gap; a service
        another writer moved meanwhile is signed again on the new head."""
        self.init()
        out: dict[int, Verdict] = {}
        waiting = list(range(len(claims)))
        columns = [*TABLES["verdicts"], ("first_sequence", "INT64")]
        names = [n for n, _ in TABLES["verdicts"]]
        for _attempt in range(8):
            if not waiting:
                break
            pairs = {(claims[i].service, claims[i].run_id) for i in waiting}
            params = {
                "services": sorted({s for s, _ in pairs}),
                "run_ids": sorted({r for _, r in pairs}),
            }
            heads: dict[str, tuple[int, str]] = {}
            same: dict[tuple[str, str], str] = {}
            for row in self.select(q.CHAIN_HEADS, **params):
                if row["is_head"]:
                    heads[row["service"]] = (int(row["sequence"]), row["verdict_sha256"])
                if (row["service"], row["run_id"]) in pairs:
                    same.setdefault((row["service"], row["run_id"]), row["verdict_sha256"])
            if same:  # a retried batch: a run whose verdict already says it keeps that one
                known = {
                    (row["service"], row["run_id"]): Verdict.from_row(row)
                    for row in self.select(q.RUN_VERDICTS, **params)
                }
                for i in list(waiting):
                    found = known.get((claims[i].service, claims[i].run_id))
                    if found is not None and claims[i].unchanged(found):
                        out[i] = found
                        waiting.remove(i)
            built: list[tuple[int, Verdict]] = []
            first: dict[str, int] = {}
            for i in waiting:
                claim = claims[i]
                link = next_link(heads.get(claim.service), same.get((claim.service, claim.run_id)))
                verdict = claim.build(link)
                heads[claim.service] = (verdict.sequence, verdict.sha256)
                same[(claim.service, claim.run_id)] = verdict.sha256
                first.setdefault(claim.service, verdict.sequence)
                built.append((i, verdict))
            if not built:
                break
            rows = [{**v.row(), "first_sequence": first[v.service]} for _, v in built]
            with self._staged("verdicts", columns, rows) as source:
                job = self._job(
                    f"MERGE {self.ref}.verdicts AS T USING {source} AS S "
                    "ON T.service = S.service AND T.sequence >= S.first_sequence "
                    f"WHEN NOT MATCHED THEN INSERT ({', '.join(names)}) "
                    f"VALUES ({', '.join(f'S.{n}' for n in names)})"
                )
            if job.num_dml_affected_rows in (None, len(built)):
                out.update(built)
                waiting = []
                break
            sql = f"SELECT verdict_sha256 AS sha FROM {self.ref}.verdicts WHERE service IN "
            sql += "UNNEST(@services) AND verdict_sha256 IN UNNEST(@shas)"
            shas = {"services": sorted(first), "shas": [v.sha256 for _, v in built]}
            landed = {row["sha"] for row in self._run(sql, shas)}
            out.update((i, v) for i, v in built if v.sha256 in landed)
            waiting = [i for i, v in built if v.sha256 not in landed]
            log.info("%d verdicts met chains another writer moved; signing again", len(waiting))
        if waiting:
            raise RuntimeError(
                f"could not append {len(waiting)} verdicts: their chains kept moving"
            )
        return [out[i] for i in range(len(claims))]

    def save_link(self, link: IssueLink) -> None:
        """Upsert one issue link by its episode (a small DML MERGE; issue_links is tiny)."""
        self.init()
        columns = TABLES["issue_links"]
        names = [n for n, _ in columns]
        select = ", ".join(f"@{n} AS {n}" for n in names)
        self._run(
            f"MERGE {self.ref}.issue_links AS T USING (SELECT {select}) AS S "
            f"ON T.episode_id = S.episode_id "
            f"WHEN MATCHED THEN UPDATE SET {', '.join(f'{n} = S.{n}' for n in names)} "
            f"WHEN NOT MATCHED THEN INSERT ({', '.join(names)}) "
            f"VALUES ({', '.join(f'S.{n}' for n in names)})",
            {n: getattr(link, n) for n in names},
            types=dict(columns),
        )

    # ------------------------------------------------------------------ reads

    def native(self, googlesql: str) -> str:
        return fill(googlesql, self.ref)

    def query(self, sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """A parameterised GoogleSQL query (``@name``); rows as dicts."""
        rows = self._run(sql, params or {})
        return [dict(row.items()) for row in rows]

    def _run(
        self, sql: str, params: dict[str, Any] | None = None, types: dict[str, str] | None = None
    ) -> Any:
        return self._execute(sql, params, types)[1]

    def _job(
        self, sql: str, params: dict[str, Any] | None = None, types: dict[str, str] | None = None
    ) -> Any:
        """The finished job of a statement (for its ``num_dml_affected_rows``)."""
        return self._execute(sql, params, types)[0]

    def _execute(
        self, sql: str, params: dict[str, Any] | None = None, types: dict[str, str] | None = None
    ) -> tuple[Any, Any]:
        """(job, rows) of a finished query; ``.result()`` raised if it failed."""
        from google.cloud import bigquery

        kinds = types or {}
        config = bigquery.QueryJobConfig(
            query_parameters=[
                query_parameter(k, v, kinds.get(k)) for k, v in (params or {}).items()
            ]
        )
        # .result() raises on a failed job (query_and_wait may not, on some emulators)
        # No job retry: its insert wrapper retries for ten minutes whatever deadline it is
        # given. The API calls are retried within timeout_s; past that the Airflow task
        # fails and is retried (a write replaces its own rows, so that is safe).
        job = self.client.query(sql, job_config=config, retry=self._retry(), job_retry=None)
        return job, job.result(timeout=self.timeout_s, job_retry=None)

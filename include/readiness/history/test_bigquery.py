"""BigQuery history through the official client against the BigQuery emulator: schema
management, load-job + MERGE writes that a re-run never duplicates, reads for the CLI, and
the same views giving the same answers as DuckDB on the same history."""

from __future__ import annotations

import math
import uuid
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from readiness.history import RunMeta
from readiness.history.bigquery_store import BigQueryHistory
from readiness.history.duckdb_store import DuckDBHistory
from readiness.history.sql import view_names
from readiness.pipeline.engine import evaluate
from readiness.spec.config import Settings
from readiness.testing.emulators import PROJECT

ROOT = Path(__file__).resolve().parents[3]
T1 = datetime(2026, 11, 20, 6, tzinfo=UTC)
T2 = datetime(2026, 11, 27, 6, tzinfo=UTC)
T3 = datetime(2026, 11, 28, 6, tzinfo=UTC)
FSS, MNT = "file-storage-service", "maintenance-service"


def _dataset() -> str:
    return f"readiness_{uuid.uuid4().hex[:10]}"


def _store(endpoint: str, dataset: str) -> BigQueryHistory:
    # short timeouts: the emulator answers some errors with 500s the client would retry
    return BigQueryHistory(PROJECT, dataset, "EU", endpoint=endpoint, timeout_s=30)


def _settings(tmp_path: Path, endpoint: str, dataset: str) -> Settings:
    return Settings(
        project_root=ROOT,
        history=f"bigquery://{PROJECT}/{dataset}",
        bigquery_endpoint=endpoint,
        outbox=str(tmp_path / "outbox"),
        verdict_key=str(tmp_path / "verdict-key.pem"),
        verdict_keyring=str(tmp_path / "verdict-keyring.json"),
        evidence_archive=str(tmp_path / "evidence-archive"),
        collect_workers=1,
    )


def test_init_creates_partitioned_clustered_tables_and_views_once(bigquery_emulator: str) -> None:
    dataset = _dataset()
    store = _store(bigquery_emulator, dataset)
    changes = store.init()
    assert f"created table {dataset}.item_results" in changes
    assert sum(c.startswith("created or replaced view") for c in changes) == len(view_names())
    items = store.client.get_table(f"{PROJECT}.{dataset}.item_results")
    assert items.time_partitioning.field == "evaluated_at"
    assert items.time_partitioning.expiration_ms is None  # compliance keeps years
    assert items.clustering_fields == ["service", "item_id", "status"]
    evaluations = store.client.get_table(f"{PROJECT}.{dataset}.evaluations")
    assert evaluations.clustering_fields == ["service"]
    listed = {t.table_id for t in store.client.list_tables(f"{PROJECT}.{dataset}")}
    assert set(view_names()) <= listed
    # a second process changes nothing
    assert _store(bigquery_emulator, dataset).init() == []


def test_schema_evolution_only_adds_columns(bigquery_emulator: str) -> None:
    from google.cloud import bigquery

    dataset = _dataset()
    store = _store(bigquery_emulator, dataset)
    store.client.create_dataset(f"{PROJECT}.{dataset}")
    old = bigquery.Table(
        f"{PROJECT}.{dataset}.issue_links",
        schema=[
            bigquery.SchemaField("service", "STRING"),
            bigquery.SchemaField("item_id", "STRING"),
            bigquery.SchemaField("episode_id", "STRING"),
        ],
    )
    store.client.create_table(old)
    store.query(
        f"INSERT INTO {store.ref}.issue_links (service, item_id, episode_id) "
        "VALUES ('svc', 'RP3', 'ep-old')"
    )
    changes = store.init()
    assert any(c.startswith("added tracker, issue_id") and "issue_links" in c for c in changes)
    rows = store.query(f"SELECT service, item_id, episode_id, state FROM {store.ref}.issue_links")
    assert rows == [{"service": "svc", "item_id": "RP3", "episode_id": "ep-old", "state": None}]


def test_the_engine_writes_and_reads_bigquery_and_a_rerun_never_duplicates(
    bigquery_emulator: str, tmp_path: Path
) -> None:
    dataset = _dataset()
    settings = _settings(tmp_path, bigquery_emulator, dataset)
    evaluate(settings, as_of=T1, meta=RunMeta(run_key="r1"))
    second = evaluate(settings, as_of=T2, meta=RunMeta(run_key="r2", trigger="scheduled"))
    assert second.issues[FSS].opened == ["OUT-1"]
    store = _store(bigquery_emulator, dataset)

    def counts() -> tuple[int, int, int]:
        return tuple(  # type: ignore[return-value]
            store.query(f"SELECT COUNT(*) AS n FROM {store.ref}.{t}")[0]["n"]
            for t in ("evaluations", "item_results", "issue_links")
        )

    before = counts()
    assert before == (4, 2 * (99 + 116), 1)
    again = evaluate(settings, as_of=T2, meta=RunMeta(run_key="r2", trigger="scheduled"))
    assert again.issues[FSS].opened == []
    assert counts() == before
    # the reads the CLI makes, from BigQuery
    snap = store.snapshot(FSS)
    assert snap is not None and (snap.achieved_level, snap.previous_level) == ("L1", "L2")
    assert "RP3" in {row["item_id"] for row in snap.failing}
    assert [row["achieved_level"] for row in store.timeline(FSS, None)] == ["L2", "L1"]
    moves = [(t["item_id"], t["status"]) for t in store.transitions(FSS, None)]
    assert ("RP3", "stale") in moves
    assert store.previous_level(FSS, T2, f"{FSS}@r2") == "L2"
    (link,) = store.links(FSS)
    assert (link.item_id, link.issue_key, link.state) == ("RP3", "OUT-1", "open")
    assert store.prior_states(FSS, T3, "none")["RP3"].episode_id == link.episode_id
    assert store.services() == [FSS, MNT]


def test_a_run_recorded_again_on_another_day_still_replaces_its_rows(
    bigquery_emulator: str, tmp_path: Path
) -> None:
    """The replace names the run's partitions: the new day, and the day it was recorded on
    before (looked up), so a re-recorded ``--run-id`` never leaves its old rows behind."""
    dataset = _dataset()
    settings = _settings(tmp_path, bigquery_emulator, dataset)
    evaluate(settings, services=[FSS], as_of=T1, meta=RunMeta(run_key="same"), dry_run=False)
    evaluate(settings, services=[FSS], as_of=T2, meta=RunMeta(run_key="same"))
    store = _store(bigquery_emulator, dataset)
    rows = store.query(
        f"SELECT DATE(evaluated_at) AS day, COUNT(*) AS n FROM {store.ref}.item_results "
        "GROUP BY day"
    )
    assert [(r["day"], r["n"]) for r in rows] == [(T2.date(), 99)]
    runs = store.query(f"SELECT run_id, evaluated_at FROM {store.ref}.evaluations")
    assert [(r["run_id"], r["evaluated_at"]) for r in runs] == [(f"{FSS}@same", T2)]


def test_service_names_are_parameters_never_sql(bigquery_emulator: str, tmp_path: Path) -> None:
    dataset = _dataset()
    evaluate(_settings(tmp_path, bigquery_emulator, dataset), as_of=T1, meta=RunMeta("r1"))
    store = _store(bigquery_emulator, dataset)
    hostile = "x' OR '1'='1"
    assert store.snapshot(hostile) is None
    assert store.timeline(hostile, None) == []
    assert store.links(hostile) == []


# --------------------------------------------------------------------------- parity


def _normal(value: Any) -> Any:
    """One representation per value whatever the backend's driver returned."""
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, float):
        return int(value) if math.isfinite(value) and value == int(value) else round(value, 6)
    return value


def _view(store: Any, name: str) -> list[tuple[Any, ...]]:
    ref = store.ref if isinstance(store, BigQueryHistory) else store.dataset
    rows = store.query(f"SELECT * FROM {ref}.{name}")
    normal = [tuple(sorted((k, _normal(v)) for k, v in row.items())) for row in rows]
    return sorted(normal, key=repr)


@pytest.mark.slow
def test_every_view_gives_the_same_answers_on_duckdb_and_bigquery(
    bigquery_emulator: str, tmp_path: Path
) -> None:
    """One history (the sample story: levels up and down, a regression with its issue, an
    open regression, quarterly and manual triggers), written through each backend's own
    write path, then every view compared row for row."""
    duck_settings = Settings(
        project_root=ROOT,
        history=f"duckdb://{tmp_path}/h.duckdb",
        outbox=str(tmp_path / "outbox"),
        collect_workers=1,
    )
    runs = [
        (T1, RunMeta("r1", trigger="quarterly"), None),
        (T2, RunMeta("r2", trigger="scheduled"), None),
        (T3, RunMeta("r3", trigger="manual"), [MNT]),  # FSS's RP3 stays an open regression
    ]
    recorded = []
    for as_of, meta, services in runs:
        report = evaluate(duck_settings, as_of=as_of, meta=meta, services=services)
        recorded.append((report.evaluations, meta))
    duck = DuckDBHistory(tmp_path / "h.duckdb")
    bq = _store(bigquery_emulator, _dataset())
    bq.init()
    from readiness.pipeline.engine import record
    from readiness.pipeline.verdicts import Sealer

    sealer = Sealer.of(duck_settings)  # the same key signs both backends' verdicts
    for evaluations, meta in recorded:
        record(bq, evaluations, meta, sealer)
    links = duck.links(FSS) + duck.links(MNT)
    assert links, "the fixture history must include an issue link"
    for link in links:
        bq.save_link(replace(link))

    for name in view_names():
        duck_rows, bq_rows = _view(duck, name), _view(bq, name)
        assert duck_rows == bq_rows, name
    # and the fixture exercises every view
    assert all(_view(duck, name) for name in view_names())

    # the quarterly report and the OSCAL export read the same figures from both backends
    from dataclasses import asdict

    from readiness.audit.oscal import assessment_results, validate
    from readiness.audit.reports.quarterly import build_quarter_report

    now = datetime(2027, 1, 2, tzinfo=UTC)
    duck_report = asdict(build_quarter_report(duck, "2026Q4", now))
    bq_report = asdict(build_quarter_report(bq, "2026Q4", now))
    assert duck_report.pop("backend") == "duckdb" and bq_report.pop("backend") == "bigquery"
    for d_sq, b_sq in zip(duck_report["services"], bq_report["services"], strict=True):
        for key in d_sq:
            assert d_sq[key] == b_sq[key], (d_sq["service"], key, d_sq[key], b_sq[key])
    assert duck_report == bq_report
    assert [s["service"] for s in bq_report["services"]] == [FSS, MNT]
    assert any(s["episodes"] for s in bq_report["services"])
    assert any(s["signoffs"] for s in bq_report["services"])
    assert any(s["failing_longest"] for s in bq_report["services"])
    for service in (FSS, MNT):
        duck_doc, bq_doc = assessment_results(duck, service), assessment_results(bq, service)
        assert validate(bq_doc) == []
        for doc in (duck_doc, bq_doc):  # each backend stamped its own write time
            body = doc["assessment-results"]
            del body["metadata"]["last-modified"]
            # … and signed its own verdict at that time: one each, set aside here
            verdict = body["back-matter"]["resources"].pop()
            assert verdict["title"].startswith(f"Signed verdict {service}#")
            props = body["results"][0]["props"]
            body["results"][0]["props"] = [p for p in props if p["name"] != "verdict-sha256"]
        assert duck_doc == bq_doc
    # a quarterly run records its report's URI with a DML UPDATE
    bq.record_report("r1", "gs://reports/2026Q4/readiness-2026Q4.html")
    uris = bq.query(
        f"SELECT DISTINCT report_uri FROM `{PROJECT}.{bq.dataset}.evaluations` WHERE run_key = 'r1'"
    )
    assert uris == [{"report_uri": "gs://reports/2026Q4/readiness-2026Q4.html"}]


def test_the_command_line_reads_and_gates_from_bigquery(
    bigquery_emulator: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    from readiness.cli.main import main

    dataset = _dataset()
    monkeypatch.setenv("READINESS_HOME", str(ROOT))
    monkeypatch.setenv("READINESS_HISTORY", f"bigquery://{PROJECT}/{dataset}")
    monkeypatch.setenv("READINESS_BIGQUERY_ENDPOINT", bigquery_emulator)
    monkeypatch.setenv("READINESS_OUTBOX", str(tmp_path / "outbox"))
    for name in ("VERDICT_KEY", "VERDICT_KEYRING", "EVIDENCE_ARCHIVE"):
        monkeypatch.setenv(f"READINESS_{name}", str(tmp_path / name.lower()))
    assert main(["init-warehouse"]) == 0
    assert f"created table {dataset}.evaluations" in capsys.readouterr().out
    assert main(["init-warehouse"]) == 0
    assert "up to date" in capsys.readouterr().out
    assert main(["evaluate", "--as-of", "2026-11-20T06:00:00Z", "--run-id", "r1"]) == 0
    at = ["--as-of", "2026-11-20T07:00:00Z"]
    assert main(["gate", FSS, "--level", "L2", *at]) == 0
    assert main(["gate", FSS, "--level", "L3", *at]) == 1
    capsys.readouterr()
    assert main(["status", FSS, "--json"]) == 0
    assert '"achieved_level": "L2"' in capsys.readouterr().out


# --------------------------------------------------------------------------- cookbook

COOKBOOK_PARAMS: dict[str, Any] = {
    "as_of": datetime(2026, 11, 28, 12, tzinfo=UTC),
    "quarter_start": datetime(2026, 10, 1, tzinfo=UTC),
    "quarter_end": datetime(2027, 1, 1, tzinfo=UTC),
    "service": FSS,
    "rank": 2,
}


def _cookbook() -> list[tuple[str, str]]:
    import re

    text = (ROOT / "docs" / "history.md").read_text()
    section = text[text.index("## Query cookbook") :]
    titles = re.findall(r"^### (.+)$", section, flags=re.M)
    blocks = re.findall(r"```sql\n(.*?)```", section, flags=re.S)
    assert len(titles) == len(blocks) >= 10
    return list(zip(titles, blocks, strict=True))


def _rows(store: Any, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [tuple((k, _normal(v)) for k, v in row.items()) for row in store.query(sql, params)]


@pytest.mark.slow
def test_every_cookbook_query_runs_and_agrees_on_both_backends(
    bigquery_emulator: str, tmp_path: Path
) -> None:
    import re

    import sqlglot

    duck_settings = Settings(
        project_root=ROOT,
        history=f"duckdb://{tmp_path}/h.duckdb",
        outbox=str(tmp_path / "outbox"),
        collect_workers=1,
    )
    bq = _store(bigquery_emulator, _dataset())
    from readiness.history.rows import exemption_event_rows

    for key, as_of in (("r1", T1), ("r2", T2), ("r3", T3)):
        report = evaluate(duck_settings, as_of=as_of, meta=RunMeta(key))
        bq.write(report.evaluations, RunMeta(key))
        events = [row for ev in report.evaluations for row in exemption_event_rows(ev)]
        bq.save_events(events)
        assert bq.save_events(events) == 0  # each event once, however often it is saved
    duck = DuckDBHistory(tmp_path / "h.duckdb")
    for title, sql in _cookbook():
        params = {k: COOKBOOK_PARAMS[k] for k in re.findall(r"@(\w+)", sql)}
        bq_sql = sql.replace("readiness.", f"{bq.ref}.")
        duck_sql = sqlglot.transpile(sql, read="bigquery", write="duckdb")[0]

        duck_rows, bq_rows = _rows(duck, duck_sql, params), _rows(bq, bq_sql, params)
        assert duck_rows, f"{title}: no rows on the sample story"
        assert duck_rows == bq_rows, title


def test_the_history_timeout_setting_bounds_the_clients_retries(tmp_path: Path) -> None:
    from readiness.history import history_for

    settings = replace(_settings(tmp_path, "http://127.0.0.1:9", "d"), history_timeout_s=7)
    store = history_for(settings)
    assert isinstance(store, BigQueryHistory)
    assert store.timeout_s == 7
    assert store._retry().timeout == 7  # what every job and query is retried within
    assert history_for(_settings(tmp_path, "http://127.0.0.1:9", "d")).timeout_s == 300  # type: ignore[attr-defined]


def test_two_writers_never_take_the_same_place_in_a_verdict_chain(bigquery_emulator: str) -> None:
    """The conditional MERGE claims a sequence; a writer that lost the race signs again on
    the new head instead of forking the chain."""
    from readiness.domain.verdicts import ChainLink, Verdict

    dataset = _dataset()
    mine, theirs = _store(bigquery_emulator, dataset), _store(bigquery_emulator, dataset)
    links: list[ChainLink] = []

    def verdict(link: ChainLink, run: str) -> Verdict:
        return Verdict(
            service=FSS,
            sequence=link.sequence,
            run_id=run,
            evaluated_at=T1,
            sha256=f"{run}-{link.sequence}",
            previous=link.previous,
            supersedes=link.supersedes,
            key_id="k",
            achieved_level="L1",
            envelope={},
            recorded_at=T1,
        )

    theirs.append_verdict(FSS, "r0", lambda link: verdict(link, "r0"))

    def racing(link: ChainLink) -> Verdict:
        links.append(link)
        if len(links) == 1:  # another run appends between our read of the head and our write
            theirs.append_verdict(FSS, "r1", lambda other: verdict(other, "r1"))
        return verdict(link, "r2")

    ours = mine.append_verdict(FSS, "r2", racing)
    assert [link.sequence for link in links] == [2, 3]
    assert ours.sequence == 3 and ours.previous == "r1-2"
    assert [(v.sequence, v.run_id) for v in mine.verdicts(FSS)] == [(1, "r0"), (2, "r1"), (3, "r2")]

"""Whole DAG runs with ``dag.test()`` on embedded defaults (SQLite metadata DB, DuckDB
history, local outbox): what an SRE sees in the grid and what lands in history."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from readiness.history import open_history
from readiness.spec.config import load_settings
from readiness.trackers.outbox.tracker import OutboxTracker

TODAY = datetime(2026, 11, 20, 6, tzinfo=UTC)
WEEK_LATER = datetime(2026, 11, 27, 6, tzinfo=UTC)
FSS = "file-storage-service"


def _signed(note: str | None, service: str, sequence: int) -> str:
    """The run note without its last part, the verdict reference, which it must end in."""
    import re

    assert note is not None
    found = re.fullmatch(
        rf"(.*); verdict {re.escape(service)}#{sequence} sha256:[0-9a-f]{{16}}…", note
    )
    assert found, note
    return found.group(1)


def _dags() -> dict[str, Any]:
    from readiness_airflow.factory import build_dags

    return build_dags(load_settings())


def _rows(sql: str, **params: Any) -> list[dict[str, Any]]:
    settings = load_settings()
    history = open_history(settings.history, str(settings.project_root))
    return history.query(sql, params)


@pytest.mark.slow
def test_a_service_dag_records_history_and_files_one_issue_per_regression(
    metadata_db: Path, readiness_env: Path
) -> None:
    from readiness_airflow.local import run_dag

    dag = _dags()[f"readiness__{FSS}"]

    first = run_dag(dag, TODAY)
    assert first.succeeded, first.task_states
    # one collection task per evidence source: on embedded defaults the repository and the
    # evidence store (recorded exports of the live APIs)
    sources = [t for t in first.task_states if t.startswith("collect[")]
    assert len(sources) == 2 and all(first.task_states[t] == "success" for t in sources)
    assert _signed(first.note, FSS, 1) == f"{FSS}: L2 (target L3, previous none); regressions: none"

    second = run_dag(dag, WEEK_LATER)
    assert second.succeeded, second.task_states
    assert _signed(second.note, FSS, 2) == (
        f"{FSS}: L1 (target L3, previous L2) DOWNGRADED; regressions: RP3; issues opened OUT-1"
    )

    evaluations = _rows(
        "SELECT run_id, trigger, dag_id, dag_run_id, achieved_level, items "
        "FROM readiness.evaluations ORDER BY evaluated_at"
    )
    assert [(e["run_id"], e["achieved_level"]) for e in evaluations] == [
        (f"{FSS}@manual__2026-11-20T06:00:00+00:00", "L2"),
        (f"{FSS}@manual__2026-11-27T06:00:00+00:00", "L1"),
    ]
    assert {e["trigger"] for e in evaluations} == {"manual"}
    assert {e["dag_id"] for e in evaluations} == {f"readiness__{FSS}"}
    assert evaluations[1]["dag_run_id"] == "manual__2026-11-27T06:00:00+00:00"
    item_rows = _rows("SELECT count(*) AS n FROM readiness.item_results")[0]["n"]
    assert item_rows == sum(e["items"] for e in evaluations) == 2 * 99
    regressed = _rows(
        "SELECT item_id, status FROM readiness.item_results WHERE regressed ORDER BY item_id"
    )
    assert regressed == [{"item_id": "RP3", "status": "stale"}]

    outbox = OutboxTracker(readiness_env / "outbox").issues()
    assert [(i["issue_key"], i["item_id"], i["state"]) for i in outbox] == [
        ("OUT-1", "RP3", "open")
    ]
    assert outbox[0]["labels"] == f"service:{FSS},readiness"
    links = _rows("SELECT item_id, issue_key, state FROM readiness.issue_links")
    assert links == [{"item_id": "RP3", "issue_key": "OUT-1", "state": "open"}]

    # Re-running the same Airflow run (a clear, or a retry of every task) replaces its
    # own rows and opens nothing new.
    again = run_dag(dag, WEEK_LATER)
    assert again.succeeded, again.task_states
    assert again.run_id == second.run_id
    assert _rows("SELECT count(*) AS n FROM readiness.evaluations")[0]["n"] == 2
    assert _rows("SELECT count(*) AS n FROM readiness.item_results")[0]["n"] == item_rows
    assert len(OutboxTracker(readiness_env / "outbox").issues()) == 1
    # … and signs a third verdict, which supersedes the second
    assert (
        _signed(again.note, FSS, 3)
        == f"{FSS}: L1 (target L3, previous L2) DOWNGRADED; regressions: RP3"
    )


def _open_issue_of_a_retired_service(env: Path) -> str:
    """An open issue in the tracker and in history for payments-legacy, whose spec has
    been deleted since: nothing evaluates it again."""
    from readiness.history import IssueLink, history_for
    from readiness.testing.trackers import issue_document

    settings = load_settings()
    history = history_for(settings)
    history.init()
    tracker = OutboxTracker(env / "outbox")
    doc = replace(issue_document("payments-legacy:RP3"), service="payments-legacy")
    ref = tracker.open(doc)
    at = datetime(2026, 9, 1, tzinfo=UTC)
    history.save_link(IssueLink.opened(doc, ref, tracker.name, "payments-legacy@r", at, "x"))
    return ref.issue_key


@pytest.mark.slow
def test_the_quarterly_dag_revalidates_every_service_as_trigger_quarterly(
    metadata_db: Path, readiness_env: Path
) -> None:
    from readiness_airflow.local import run_dag

    dag = _dags()["readiness__quarterly_revalidation"]
    retired = _open_issue_of_a_retired_service(readiness_env)
    run = run_dag(dag, datetime(2026, 10, 1, 6, tzinfo=UTC))
    assert run.succeeded, run.task_states
    assert set(run.task_states) == {
        "revalidate[0]",
        "revalidate[1]",
        "quarterly_report",
        "close_retired_services",
    }
    # the issue of a service whose spec is gone is closed, saying why
    gone = [
        i for i in OutboxTracker(readiness_env / "outbox").issues() if i["issue_key"] == retired
    ]
    assert [i["state"] for i in gone] == ["closed"]
    assert "is retired" in OutboxTracker(readiness_env / "outbox").comments(retired)[-1]
    assert _rows(
        "SELECT closed_reason FROM readiness.issue_links WHERE service = 'payments-legacy'"
    ) == [{"closed_reason": "service_retired"}]

    rows = _rows(
        "SELECT service, trigger, dag_id, run_key FROM readiness.evaluations ORDER BY service"
    )
    assert [(r["service"], r["trigger"], r["dag_id"]) for r in rows] == [
        (FSS, "quarterly", "readiness__quarterly_revalidation"),
        ("maintenance-service", "quarterly", "readiness__quarterly_revalidation"),
    ]
    assert all(r["run_key"].startswith("quarterly:") for r in rows)
    assert run.note is not None
    *headlines, report_line = run.note.splitlines()
    assert sorted(line.split(":")[0] for line in headlines) == [FSS, "maintenance-service"]
    # one revalidation issue per service, and the report of the quarter that just ended
    outbox = OutboxTracker(readiness_env / "outbox").issues()
    revalidation = [i for i in outbox if i["item_id"] == "quarterly-revalidation"]
    assert sorted(i["service"] for i in revalidation) == [FSS, "maintenance-service"]
    assert all("quarterly-revalidation" in i["labels"].split(",") for i in revalidation)
    html = readiness_env / "reports" / "2026Q3" / "readiness-2026Q3.html"
    assert report_line == f"quarterly report 2026Q3: {html}"
    assert html.exists()
    recorded = _rows("SELECT DISTINCT report_uri FROM readiness.evaluations")
    assert recorded == [{"report_uri": str(html)}]


@pytest.mark.slow
def test_a_service_dag_files_in_linear_with_the_key_from_the_linear_default_connection(
    metadata_db: Path, readiness_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from readiness.trackers.linear.fake_server import FakeLinear
    from readiness_airflow.local import run_dag

    key = "lin_api_from_the_connection"
    fake = FakeLinear(api_key=key)
    url = fake.start()
    try:
        monkeypatch.setenv("READINESS_TRACKER", "linear")
        monkeypatch.delenv("LINEAR_API_KEY", raising=False)
        monkeypatch.delenv("LINEAR_ENDPOINT", raising=False)
        monkeypatch.setenv(
            "AIRFLOW_CONN_LINEAR_DEFAULT",
            json.dumps({"conn_type": "linear", "password": key, "host": url}),
        )
        dag = _dags()[f"readiness__{FSS}"]
        assert run_dag(dag, TODAY).succeeded
        second = run_dag(dag, WEEK_LATER)
        assert second.succeeded, second.task_states
        assert _signed(second.note, FSS, 2).endswith("issues opened STO-1")
    finally:
        fake.stop()
    assert fake.rejected == []
    (issue,) = fake.issues.values()
    assert {fake.labels[i]["name"] for i in issue["labelIds"]} == {
        f"service:{FSS}",
        "readiness",
    }
    links = _rows("SELECT tracker, item_id, issue_key, state FROM readiness.issue_links")
    assert links == [{"tracker": "linear", "item_id": "RP3", "issue_key": "STO-1", "state": "open"}]
    # the key is in no history table
    for table in ("evaluations", "item_results", "issue_links"):
        dumped = json.dumps(_rows(f"SELECT * FROM readiness.{table}"), default=str)
        assert key not in dumped


@pytest.mark.slow
def test_a_service_dag_writes_history_to_bigquery_when_configured(
    metadata_db: Path, readiness_env: Path, bigquery_emulator: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from readiness.history.bigquery_store import BigQueryHistory
    from readiness.testing.emulators import PROJECT
    from readiness_airflow.local import run_dag

    monkeypatch.setenv("READINESS_HISTORY", f"bigquery://{PROJECT}/readiness_airflow")
    monkeypatch.setenv("READINESS_VERDICT_KEY", str(readiness_env / "verdict-key.pem"))
    monkeypatch.setenv("READINESS_VERDICT_KEYRING", str(readiness_env / "keyring.json"))
    monkeypatch.setenv("READINESS_EVIDENCE_ARCHIVE", str(readiness_env / "archive"))
    monkeypatch.setenv("READINESS_BIGQUERY_ENDPOINT", bigquery_emulator)
    dag = _dags()[f"readiness__{FSS}"]
    first = run_dag(dag, TODAY)
    assert first.succeeded, first.task_states
    again = run_dag(dag, TODAY)  # the same Airflow run again
    assert again.succeeded, again.task_states
    store = BigQueryHistory(PROJECT, "readiness_airflow", endpoint=bigquery_emulator, timeout_s=30)
    rows = store.query(
        f"SELECT run_id, dag_id, items FROM {store.ref}.evaluations ORDER BY run_id", {}
    )
    assert rows == [
        {
            "run_id": f"{FSS}@manual__2026-11-20T06:00:00+00:00",
            "dag_id": f"readiness__{FSS}",
            "items": 99,
        }
    ]
    count = store.query(f"SELECT COUNT(*) AS n FROM {store.ref}.item_results", {})
    assert count == [{"n": 99}]


@pytest.mark.slow
def test_on_embedded_defaults_the_service_dags_are_alive_on_any_date(
    metadata_db: Path,
    readiness_env: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The living feed (``samplefeed://``), a year after the story: each service's run
    stands where the story left it, and ``readiness status`` says the same as the run note."""
    from readiness.cli.main import main
    from readiness_airflow.local import run_dag

    monkeypatch.setenv("READINESS_EVIDENCE_ROOT", f"samplefeed://{readiness_env}/evidence")
    monkeypatch.setenv("READINESS_EXEMPTIONS_ROOT", f"samplegrants://{readiness_env}/exemptions")
    dags = _dags()
    day = datetime(2028, 1, 6, 5, tzinfo=UTC)  # a Thursday: no restore-drill regression
    fss = run_dag(dags[f"readiness__{FSS}"], day)
    mnt = run_dag(dags["readiness__maintenance-service"], day.replace(minute=30))
    assert fss.succeeded and mnt.succeeded, (fss.task_states, mnt.task_states)
    assert _signed(fss.note, FSS, 1) == f"{FSS}: L2 (target L3, previous none); regressions: none"
    assert (
        _signed(mnt.note, "maintenance-service", 1)
        == "maintenance-service: L1 (target L3, previous none); regressions: none"
    )
    capsys.readouterr()
    assert main(["status"]) == 0
    status = capsys.readouterr().out
    assert f"{FSS}  L2 / target L3" in status
    assert "maintenance-service  L1 / target L3" in status
    assert "2028-01-06" in status


@pytest.mark.slow
def test_the_record_task_signs_with_the_key_of_the_readiness_verdict_key_connection(
    metadata_db: Path, readiness_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Production's key: the connection's password (a secrets backend serves it). It signs
    the verdict, and is in no history table, no XCom and no task log; a key the keyring
    does not hold fails the record task before anything is written."""
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    from readiness.support.dsse import Keyring, SigningKey
    from readiness_airflow.local import run_dag

    key = SigningKey.generate()
    pem = key.private_pem().decode()
    monkeypatch.setenv(
        "AIRFLOW_CONN_READINESS_VERDICT_KEY", json.dumps({"conn_type": "generic", "password": pem})
    )
    ring = Keyring()
    ring.add(key.public)
    ring.save(readiness_env / "keyring.json")
    monkeypatch.setenv("READINESS_VERDICT_KEYRING", str(readiness_env / "keyring.json"))
    monkeypatch.setenv("READINESS_TASK_RETRY_DELAY_S", "0")  # the refused key's retries
    dag = _dags()[f"readiness__{FSS}"]
    first = run_dag(dag, TODAY)
    assert first.succeeded, first.task_states
    (verdict,) = _rows("SELECT key_id, sequence FROM readiness.verdicts")
    assert verdict == {"key_id": key.keyid, "sequence": 1}
    secret = pem.splitlines()[1]  # a line of the key's base64 body
    for table in ("evaluations", "item_results", "verdicts"):
        assert secret not in json.dumps(_rows(f"SELECT * FROM readiness.{table}"), default=str)
    with create_session() as session:
        values = [str(x.value) for x in session.query(XComModel).all()]
    assert values and not any(secret in v for v in values)
    logs = "".join(p.read_text(errors="replace") for p in readiness_env.rglob("*.log"))
    assert secret not in logs

    # another key, which the keyring does not hold: refused before it writes
    other = SigningKey.generate().private_pem().decode()
    monkeypatch.setenv(
        "AIRFLOW_CONN_READINESS_VERDICT_KEY",
        json.dumps({"conn_type": "generic", "password": other}),
    )
    second = run_dag(dag, WEEK_LATER)
    assert not second.succeeded and second.task_states["record"] == "failed", second.task_states
    assert len(_rows("SELECT run_id FROM readiness.evaluations")) == 1

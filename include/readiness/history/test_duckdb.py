"""DuckDB history, the embedded default: a run's rows replace themselves, the prior state a
run scores against excludes that run, links round-trip, and the file is usable by a second
process between operations (it is never held outside a session)."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from readiness.history import IssueLink, RunMeta
from readiness.history.duckdb_store import DuckDBHistory
from readiness.pipeline.engine import evaluate
from readiness.spec.config import Settings

ROOT = Path(__file__).resolve().parents[3]
FSS = "file-storage-service"
DAY1 = datetime(2026, 11, 20, 6, tzinfo=UTC)
DAY2 = datetime(2026, 11, 27, 6, tzinfo=UTC)


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> DuckDBHistory:
    """The story's first two days of file-storage-service, recorded; day 1 twice."""
    tmp = tmp_path_factory.mktemp("duckdb")
    settings = Settings(
        project_root=ROOT,
        history=f"duckdb://{tmp}/history.duckdb",
        outbox=str(tmp / "outbox"),
        collect_workers=1,
    )
    for moment, key in ((DAY1, "d1"), (DAY1, "d1"), (DAY2, "d2")):
        evaluate(settings, services=[FSS], as_of=moment, meta=RunMeta(run_key=key))
    return DuckDBHistory(tmp / "history.duckdb")


def test_init_is_idempotent_and_keeps_the_rows(history: DuckDBHistory) -> None:
    before = history.query("SELECT count(*) AS n FROM readiness.item_results", {})
    fresh = DuckDBHistory(history.path)  # a new process's view of the same file
    fresh.init()
    fresh.init()
    assert fresh.query("SELECT count(*) AS n FROM readiness.item_results", {}) == before
    assert fresh.services() == [FSS]


def test_a_re_run_replaces_its_own_rows(history: DuckDBHistory) -> None:
    runs = history.query(
        "SELECT run_id, items FROM readiness.evaluations ORDER BY evaluated_at", {}
    )
    assert [r["run_id"] for r in runs] == [f"{FSS}@d1", f"{FSS}@d2"]
    per_run = history.query(
        "SELECT run_id, count(*) AS n FROM readiness.item_results GROUP BY run_id ORDER BY run_id",
        {},
    )
    assert [(r["run_id"], r["n"]) for r in per_run] == [(f"{FSS}@d1", 99), (f"{FSS}@d2", 99)]


def test_the_prior_state_excludes_the_run_being_scored(history: DuckDBHistory) -> None:
    # scoring d2 again sees d1 as its past, not itself
    prior = history.prior_states(FSS, DAY2, f"{FSS}@d2")
    assert prior["RP3"].effective_status.value == "pass"
    assert history.previous_level(FSS, DAY2, f"{FSS}@d2") == "L2"
    # as of day 1 nothing came before d1
    assert history.previous_level(FSS, DAY1, f"{FSS}@d1") is None


def test_timestamps_come_back_aware_utc(history: DuckDBHistory) -> None:
    snap = history.snapshot(FSS)
    assert snap is not None
    assert snap.evaluated_at == DAY2 and snap.evaluated_at.tzinfo is not None
    assert snap.achieved_level == "L1" and snap.below_target


def test_links_round_trip_and_a_second_save_replaces_the_first(history: DuckDBHistory) -> None:
    link = IssueLink(
        service=FSS,
        item_id="T9",
        episode_id="ep-test",
        tracker="outbox",
        issue_id="ep-test",
        issue_key="OUT-99",
        url="file:///x",
        state="open",
        title="t",
        opened_run_id=f"{FSS}@d2",
        opened_at=DAY2,
    )
    history.save_link(link)
    history.save_link(IssueLink(**{**link.__dict__, "state": "closed", "closed_at": DAY2}))
    ours = [lk for lk in history.links(FSS) if lk.episode_id == "ep-test"]
    assert [(lk.state, lk.closed_at) for lk in ours] == [("closed", DAY2)]


def test_another_process_can_write_between_operations(history: DuckDBHistory) -> None:
    """Outside a session the file is not held: a second process opens it for writing."""
    history.services()
    code = (
        "import duckdb, sys; con = duckdb.connect(sys.argv[1]); "
        "con.execute('CREATE TABLE IF NOT EXISTS probe (x INT)'); con.close()"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(history.path)], capture_output=True, timeout=60
    )
    assert done.returncode == 0, done.stderr.decode()


WRITER = r"""
import sys, time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from readiness.spec.config import Settings
from readiness.pipeline.engine import evaluate
from readiness.history import RunMeta
from readiness.history.duckdb_store import DuckDBHistory
from readiness.trackers.outbox.tracker import OutboxTracker

root, db, outbox, service, days, slow = sys.argv[1:7]

class SlowTracker(OutboxTracker):
    # a tracker whose every call takes longer than the other writer waits for a lock
    def open(self, doc):
        time.sleep(float(slow))
        return super().open(doc)

settings = Settings(project_root=Path(root), history=f"duckdb://{db}", collect_workers=1)
history = DuckDBHistory(Path(db), lock_wait_s=3.0)
tracker = SlowTracker(Path(outbox))
for day in range(int(days)):
    as_of = datetime(2026, 11, 20, 6, tzinfo=UTC) + timedelta(days=7 * day)
    report = evaluate(settings, services=[service], as_of=as_of, meta=RunMeta(f"w{day}"),
                      history=history, tracker=tracker)
    print(service, day, [k for r in report.issues.values() for k in r.opened], flush=True)
"""


def test_two_processes_record_and_sync_into_one_file_and_lose_nothing(tmp_path: Path) -> None:
    """Two services' runs at once, as two LocalExecutor tasks would be: one is in a slow
    tracker call (8 s) while the other records, with a lock wait of 3 s. Both succeed only
    because no history lock is held across a tracker call; every row is there."""
    db = tmp_path / "history.duckdb"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(ROOT), str(db), str(tmp_path / name), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name, args in (
            ("outbox-a", (FSS, "2", "8")),  # day 2 opens RP3's issue, slowly
            ("outbox-b", ("maintenance-service", "6", "0")),
        )
    ]
    outputs = [p.communicate(timeout=300) for p in procs]
    for proc, (_out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err[-3000:]
    assert "file-storage-service 1 ['OUT-1']" in outputs[0][0]
    history = DuckDBHistory(db)
    runs = history.query(
        "SELECT service, COUNT(*) AS n FROM readiness.evaluations GROUP BY service ORDER BY 1"
    )
    assert [(r["service"], r["n"]) for r in runs] == [(FSS, 2), ("maintenance-service", 6)]
    (items,) = history.query("SELECT COUNT(*) AS n FROM readiness.item_results")
    assert items["n"] == 2 * 99 + 6 * 116
    assert [link.issue_key for link in history.links(FSS)] == ["OUT-1"]


def test_a_failed_link_write_leaves_no_transaction_open(tmp_path: Path) -> None:
    """Inside a session the connection is reused: a failed save_link must roll back, or
    every later write of the run fails with "a transaction is already open"."""
    history = DuckDBHistory(tmp_path / "history.duckdb")
    history.init()
    good = IssueLink(
        service=FSS,
        item_id="RP3",
        episode_id="ep-1",
        tracker="outbox",
        issue_id="1",
        issue_key="OUT-1",
        url="file:///OUT-1.md",
        state="open",
        title="t",
        opened_run_id="r",
        opened_at=DAY1,
    )
    with history.session():
        with pytest.raises(duckdb.ConversionException):
            history.save_link(replace(good, opened_at="not a time"))  # type: ignore[arg-type]
        history.save_link(good)
    assert [link.issue_key for link in history.links(FSS)] == ["OUT-1"]

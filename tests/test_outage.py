"""An evidence source outage: the real Cloud Storage client against an endpoint that refuses
connections. The run fails fast (a bounded deadline, once per source), every item is
recorded as ``error`` with the source named, and the service gets one outage issue, not one
per item; it is closed when the source answers again."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from readiness.collectors import source_of
from readiness.history import RunMeta, history_for
from readiness.pipeline.engine import evaluate
from readiness.spec.config import Settings
from readiness.testing.emulators import free_port
from readiness.trackers.outbox.tracker import OutboxTracker

ROOT = Path(__file__).resolve().parents[1]
FSS = "file-storage-service"
DAY = datetime(2026, 11, 20, 6, tzinfo=UTC)


def test_an_outage_files_one_issue_and_closes_it_when_the_source_answers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    healthy = Settings(
        project_root=ROOT,
        evidence_root="samples/evidence",
        history=f"duckdb://{tmp_path}/history.duckdb",
        outbox=str(tmp_path / "outbox"),
        collect_workers=4,
        live_sources="false",
        source_deadline_s=3,
    )
    down = replace(healthy, evidence_root="gs://evidence-bucket/evidence")
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", f"http://127.0.0.1:{free_port()}")  # refused
    tracker = OutboxTracker(tmp_path / "outbox")

    def run(settings: Settings, day: int) -> tuple[object, float]:
        started = time.monotonic()
        report = evaluate(
            settings,
            services=[FSS],
            as_of=DAY + timedelta(hours=day),
            meta=RunMeta(f"h{day}", trigger="scheduled"),
            tracker=tracker,
        )
        return report, time.monotonic() - started

    run(healthy, 0)
    outage_runs = [run(down, day) for day in (1, 2, 3)]  # grace 2: the third is past it

    # fails fast: one deadline for the source, not one per item (99 of them)
    assert max(seconds for _r, seconds in outage_runs) < 30, outage_runs
    last = outage_runs[-1][0]
    (ev,) = last.evaluations  # type: ignore[attr-defined]
    errors = [r for r in ev.items if r.status.value == "error"]
    from_store = [r for r in ev.items if source_of(r.item.evidence.kind, False) == "store"]
    # every item the store holds; repo ones read; S8's grant lives in the exemptions root,
    # which is up, so S8 stays waived
    assert [r.item.id for r in from_store if r not in errors] == ["S8"]
    assert len(errors) == len(from_store) - 1 > 80
    assert all(
        r.evidence.outage == "gs://evidence-bucket/evidence/file-storage-service" for r in errors
    )
    assert all("cannot list gs://evidence-bucket" in r.reason for r in errors)
    # the level may drop past the grace; the issues say "outage", once
    issues = tracker.issues()
    assert len(issues) == 1, [i["title"] for i in issues]
    (outage,) = issues
    assert outage["title"].startswith(
        f"{FSS}: evidence source gs://evidence-bucket/evidence/{FSS} unreachable since "
        "2026-11-20 07:00 UTC: "
    ), outage["title"]
    assert "items affected" in outage["title"] and "RP3" in outage["body"]
    assert outage["state"] == "open"

    # history keeps every item's error with the source named
    history = history_for(healthy)
    rows = history.query(
        "SELECT COUNT(*) AS n FROM readiness.item_results WHERE run_id = $run_id "
        "AND status = 'error' AND reason LIKE '%gs://evidence-bucket%'",
        {"run_id": f"{FSS}@h3"},
    )
    assert rows[0]["n"] == len(errors)

    # the source answers again: the outage issue closes, with a comment, and nothing else
    recovered, _seconds = run(healthy, 4)
    (after,) = tracker.issues()
    assert after["state"] == "closed"
    assert recovered.issues[FSS].closed == [outage["issue_key"]]  # type: ignore[attr-defined]
    assert recovered.issues[FSS].opened == []  # type: ignore[attr-defined]

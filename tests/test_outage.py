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
    # the bucket is the fleet's: its issue is the fleet's, which this service joined
    assert outage["title"].startswith(
        "evidence source gs://evidence-bucket unreachable since 2026-11-20 07:00 UTC: "
    ), outage["title"]
    assert "services affected" in outage["title"] and FSS in outage["body"]
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


def _state(tracker: OutboxTracker, key: str) -> str:
    return next(str(i["state"]) for i in tracker.issues() if i["issue_key"] == key)


def _every_source_down(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, deadline: int) -> Settings:
    """Live sources, each refusing connections: the bucket (Cloud Storage), BigQuery, and
    the services' HTTP endpoints, all on one host."""
    services = tmp_path / "services"
    services.mkdir()
    dead = f"http://127.0.0.1:{free_port()}"
    for spec in (ROOT / "services").glob("*.yaml"):
        text = spec.read_text().replace("https://file-storage.internal.example.com", dead)
        (services / spec.name).write_text(text)
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", f"http://127.0.0.1:{free_port()}")
    return Settings(
        project_root=ROOT,
        services=[str(services)],
        evidence_root="gs://evidence-bucket/evidence",
        history=f"duckdb://{tmp_path}/history.duckdb",
        outbox=str(tmp_path / "outbox"),
        live_sources="true",
        bigquery_endpoint=f"http://127.0.0.1:{free_port()}",
        source_deadline_s=deadline,
        collect_workers=4,
        outage_team="PLAT",
    )


def test_with_every_source_down_a_run_takes_one_deadline_not_one_per_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each source's first item is tried at once: the store, BigQuery, Cloud Storage and the
    HTTP host each wait out the deadline side by side (before: one after another, 2 to 4
    deadlines). Two URLs on one unreachable host are one outage, named by the host."""
    deadline = 8
    settings = _every_source_down(tmp_path, monkeypatch, deadline)
    started = time.monotonic()
    report = evaluate(
        settings,
        services=[FSS],
        as_of=DAY,
        meta=RunMeta("down", trigger="scheduled"),
        tracker=OutboxTracker(tmp_path / "outbox"),
    )
    took = time.monotonic() - started
    (ev,) = report.evaluations
    outages: dict[str, int] = {}
    for r in ev.items:
        if r.evidence is not None and r.evidence.outage:
            outages[r.evidence.outage] = outages.get(r.evidence.outage, 0) + 1
    host = next(o for o in outages if o.startswith("http://"))
    assert set(outages) == {f"gs://evidence-bucket/evidence/{FSS}", "bigquery", "gcs", host}
    assert host.count("/") == 2 and outages[host] == 2, outages  # the host, not each URL
    probes = [r for r in ev.items if r.evidence is not None and r.evidence.outage == host]
    assert any("not tried: " + host in (r.evidence.error or "") for r in probes if r.evidence)
    # four sources, one deadline: well under the two it took when they waited in turn
    assert took < 1.6 * deadline + 2, took


def test_a_shared_source_down_for_the_fleet_is_one_issue_listing_its_services(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both services lose the bucket, BigQuery and Cloud Storage: one issue per shared
    source for the fleet (the outage team's), each service a member; the HTTP host is the
    service's own. As each reads the sources again it leaves; the last closes the issue."""
    down = _every_source_down(tmp_path, monkeypatch, 2)
    healthy = replace(down, evidence_root="samples/evidence", live_sources="false")
    tracker = OutboxTracker(tmp_path / "outbox")
    services = [FSS, "maintenance-service"]

    def run(settings: Settings, hour: int, which: list[str]) -> object:
        return evaluate(
            settings,
            services=which,
            as_of=DAY + timedelta(hours=hour),
            meta=RunMeta(f"h{hour}", trigger="scheduled"),
            tracker=tracker,
        )

    run(healthy, 0, services)
    for hour in (1, 2, 3):  # grace 2: the third run is past it
        run(down, hour, services)
    issues = {i["title"].split(" unreachable")[0]: i for i in tracker.issues()}
    fleet = {t: i for t, i in issues.items() if not t.startswith(tuple(services))}
    assert sorted(fleet) == [
        "evidence source bigquery",
        "evidence source gcs",
        "evidence source gs://evidence-bucket",
    ], sorted(issues)
    assert all(i["team_key"] == "PLAT" and i["state"] == "open" for i in fleet.values())
    own = [t for t in issues if t.startswith(FSS)]
    assert len(own) == 1 and "http://127.0.0.1:" in own[0], sorted(issues)  # its own host
    bucket = fleet["evidence source gs://evidence-bucket"]
    joined = tracker.comments(bucket["issue_key"])
    (comment,) = joined  # the second service to meet it joined, with a comment
    assert "2 service(s) affected" in comment
    assert any(s in comment.replace("\\", "") for s in services), comment
    history = history_for(down)
    members = history.open_links("outage:gs://evidence-bucket")
    assert sorted(lk.service for lk in members) == sorted([*services, "(fleet)"])

    # file-storage-service reads the sources again: it leaves; the issue stays open
    run(healthy, 4, [FSS])
    assert _state(tracker, bucket["issue_key"]) == "open"
    assert "1 service(s) still affected" in tracker.comments(bucket["issue_key"])[-1]
    # the last one reads them again: every fleet issue closes, each once
    run(healthy, 5, ["maintenance-service"])
    assert all(_state(tracker, i["issue_key"]) == "closed" for i in fleet.values())
    assert "the last service affected" in tracker.comments(bucket["issue_key"])[-1]
    assert history.open_links("outage:gs://evidence-bucket") == []

"""Faults in the CLI's process: kill -9 at failpoints, a Linear storm, a storage outage,
a half-written evidence file, two writers."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from readiness.testing.chaos.project import (
    DAYS,
    FSS,
    MNT,
    Outcome,
    Project,
    keep_rp3_failing,
    killed,
)


def kill_during_record(work: Path) -> Outcome:
    """kill -9 inside the history write, then the retry of the same run."""
    out = Outcome("kill -9 during record")
    project = Project(work)
    for key, day in (("d1", DAYS[0]), ("d2", DAYS[1])):
        out.faults += 1
        if killed(project.evaluate(key, day, {"READINESS_FAILPOINT": "record"})):
            retry = project.evaluate(key, day)
            out.recovered += retry.returncode == 0
        else:
            out.notes.append(f"{key}: the failpoint did not fire")
    project.check(out, *project.outbox_state())
    return out


def kill_between_tracker_and_link(work: Path) -> Outcome:
    """kill -9 after the tracker opened the issue (and, the next day, after it took a
    comment) but before the link was saved; the retry of the same run recovers."""
    out = Outcome("kill -9 during sync_issues, between tracker and link")
    project = Project(work)
    assert project.evaluate("d1", DAYS[0]).returncode == 0
    keep_rp3_failing(project)  # so day 3 comments on its issue
    steps = (("d2", DAYS[1], "sync-after-open"), ("d3", DAYS[2], "sync-after-comment"))
    for key, day, point in steps:
        out.faults += 1
        first = project.evaluate(key, day, {"READINESS_FAILPOINT": point})
        if not killed(first):
            out.notes.append(f"{point}: did not fire (rc {first.returncode})")
            continue
        retry = project.evaluate(key, day)
        out.recovered += retry.returncode == 0
    issues, comments = project.outbox_state()
    if not issues:
        out.notes.append("no issue was opened at all")
        out.rows_lost += 1
    project.check(out, issues, comments)
    return out


def half_written_evidence(work: Path) -> Outcome:
    """A drill report cut off mid-write: that item is an error naming the file, the run
    records every other item, and once the file is whole the next run reads it."""
    out = Outcome("half-written evidence file")
    project = Project(work)
    reports = sorted((project.evidence / FSS / "drill_report").rglob("*.json"))
    victim = reports[-1]
    whole = victim.read_text()
    victim.write_text(whole[: len(whole) // 2])
    out.faults += 1
    broken = project.evaluate("d1", DAYS[0])
    if broken.returncode != 0:
        out.notes.append(f"the run failed: {broken.stderr[-500:]}")
    victim.write_text(whole)
    fixed = project.evaluate("d1b", DAYS[0])
    out.recovered += broken.returncode == 0 and fixed.returncode == 0
    from readiness.history.duckdb_store import DuckDBHistory

    rows = DuckDBHistory(project.history).query(
        "SELECT COUNT(*) AS n FROM readiness.item_results WHERE run_id = $r AND status = 'error'",
        {"r": f"{FSS}@d1"},
    )
    if rows[0]["n"] < 1:
        out.notes.append("the cut-off file was not reported as an error")
    project.check(out, *project.outbox_state())
    return out


def linear_storm(work: Path) -> Outcome:
    """Linear answers 429 and 5xx to everything; the run records and leaves the issue
    pending; Linear recovers and the next run opens it, once."""
    from readiness.trackers.linear.fake_server import FakeLinear, Fault

    out = Outcome("Linear 429 and 5xx storm, then recovery")
    project = Project(work, tracker="linear")
    linear = FakeLinear(api_key="lin_api_chaos")
    url = linear.start()
    env = {"LINEAR_API_KEY": "lin_api_chaos", "LINEAR_ENDPOINT": url}
    try:
        assert project.evaluate("d1", DAYS[0], env).returncode == 0
        keep_rp3_failing(project)  # so the calm run still has the issue to open
        linear.faults.extend(
            Fault(status=429, code="RATELIMITED", headers={"Retry-After": "0"})
            if i % 2
            else Fault(status=503)
            for i in range(400)
        )
        out.faults += 1
        stormy = project.evaluate("d2", DAYS[1], env)
        linear.faults.clear()
        calm = project.evaluate("d3", DAYS[2], env)
        # the storm defers the issue; the calm run opens it, once
        out.recovered += stormy.returncode == 0 and calm.returncode == 0 and len(linear.issues) == 1
        if linear.rejected:
            out.notes.append(f"{len(linear.rejected)} operation(s) rejected by the schema")
        issues = [
            {"episode_id": i.get("id"), "issue_key": i.get("identifier")}
            for i in linear.issues.values()
        ]
        comments = [(c.get("issueId"), c.get("body")) for c in linear.comments.values()]
        project.check(out, issues, comments)
    finally:
        linear.stop()
    return out


def storage_outage(work: Path) -> Outcome:
    """The evidence bucket refuses connections for a run, then answers again."""
    from readiness.testing.emulators import free_port

    out = Outcome("storage endpoint down mid-history, then back")
    project = Project(work)
    assert project.evaluate("d1", DAYS[0]).returncode == 0
    down = {
        "READINESS_EVIDENCE_ROOT": "gs://evidence-bucket/evidence",
        "READINESS_LIVE_SOURCES": "false",
        "STORAGE_EMULATOR_HOST": f"http://127.0.0.1:{free_port()}",
    }
    out.faults += 1
    started = time.monotonic()
    dark = project.evaluate("d2", DAYS[1], down)
    seconds = time.monotonic() - started
    back = project.evaluate("d3", DAYS[2])
    out.recovered += dark.returncode == 0 and back.returncode == 0
    out.notes.append(f"the run during the outage took {seconds:.0f} s")
    project.check(out, *project.outbox_state())
    return out


def two_services_at_once(work: Path) -> Outcome:
    """Two services record and sync into one DuckDB file at the same moment."""
    out = Outcome("two services recording at once")
    project = Project(work)
    out.faults += 1
    procs = []
    for service in (FSS, MNT):
        project.attempted.add(f"{service}@both")
        args = [sys.executable, "-m", "readiness.cli", "evaluate", "--as-of", DAYS[0]]
        args += ["--run-id", "both", "--service", service]
        procs.append(
            subprocess.Popen(
                args, env=project.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
        )
    codes = [p.wait(timeout=600) for p in procs]
    out.recovered += all(code == 0 for code in codes)
    project.check(out, *project.outbox_state())
    return out

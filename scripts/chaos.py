"""The chaos suite: faults injected into real runs, then recovery, then the promises checked
from history and from the tracker's own state.

Each scenario runs ``readiness evaluate`` as a separate process (the pipeline an Airflow task
runs: ``engine.ServicePlan``'s stages) on a copy of the story's evidence, against real
DuckDB history, the real outbox or the fake Linear built on Linear's schema, and the real
Cloud Storage client. Faults: SIGKILL at a failpoint (``readiness.failpoints``), a Linear 429
and 5xx storm, a storage endpoint that refuses connections and then answers, a half-written
evidence file, two services recording at once. Recovery is what production does: the retry
of the same run (same ``--run-id``), or the next run.

After recovery it checks: every run's rows exist exactly once, every episode has exactly one
issue, no comment was posted twice, no result was lost. Prints
``faults injected N, recovered N, rows lost 0, duplicate issues 0, duplicate comments 0``.

    python scripts/chaos.py [--quick] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FSS, MNT = "file-storage-service", "maintenance-service"
#: Story days: RP3 passes on the first and regresses on the second (an issue opens); on
#: the third it is still failing for another reason (a comment).
DAYS = ("2026-11-20T06:00:00Z", "2026-11-27T06:00:00Z", "2026-11-28T06:00:00Z")


@dataclass
class Outcome:
    scenario: str
    faults: int = 0
    recovered: int = 0
    rows_lost: int = 0
    duplicate_rows: int = 0
    duplicate_issues: int = 0
    duplicate_comments: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.recovered == self.faults and not (
            self.rows_lost
            or self.duplicate_rows
            or self.duplicate_issues
            or self.duplicate_comments
        )


class Project:
    """A throwaway copy of what a run touches: evidence, history, outbox."""

    def __init__(self, work: Path, tracker: str = "outbox") -> None:
        self.work = work
        self.evidence = work / "evidence"
        shutil.copytree(ROOT / "samples" / "evidence", self.evidence)
        self.history = work / "history.duckdb"
        self.outbox = work / "outbox"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("READINESS_")}
        self.env.update(
            {
                "READINESS_HOME": str(ROOT),
                "READINESS_EVIDENCE_ROOT": str(self.evidence),
                "READINESS_HISTORY": f"duckdb://{self.history}",
                "READINESS_OUTBOX": str(self.outbox),
                "READINESS_TRACKER": tracker,
                "READINESS_SOURCE_DEADLINE_S": "3",
            }
        )
        self.attempted: set[str] = set()

    def evaluate(
        self,
        run_key: str,
        as_of: str,
        env: dict[str, str] | None = None,
        services: tuple[str, ...] = (FSS,),
    ) -> subprocess.CompletedProcess[str]:
        self.attempted.update(f"{s}@{run_key}" for s in services)
        args = [sys.executable, "-m", "readiness.cli", "evaluate", "--as-of", as_of]
        args += ["--run-id", run_key]
        for service in services:
            args += ["--service", service]
        return subprocess.run(
            args, env={**self.env, **(env or {})}, capture_output=True, text=True, timeout=600
        )

    def check(self, outcome: Outcome, issues: list[dict[str, Any]], comments: list[Any]) -> None:
        from readiness.history.duckdb_store import DuckDBHistory

        check(DuckDBHistory(self.history), self.attempted, outcome, issues, comments)

    def outbox_state(self) -> tuple[list[dict[str, Any]], list[Any]]:
        from readiness.trackers.outbox.tracker import OutboxTracker

        outbox = OutboxTracker(self.outbox)
        issues = outbox.issues()
        comments = [(i["issue_key"], c) for i in issues for c in outbox.comments(i["issue_key"])]
        return issues, comments


def check(
    history: Any,
    attempted: set[str],
    outcome: Outcome,
    issues: list[dict[str, Any]],
    comments: list[Any],
) -> None:
    """Rows exactly once, nothing lost, one issue per episode, no comment twice: from any
    history backend (``select`` speaks GoogleSQL on each) and the tracker's own state."""
    runs = Counter(r["run_id"] for r in history.select("SELECT run_id FROM {dataset}.evaluations"))
    whole = {
        r["run_id"]
        for r in history.select(
            "SELECT run_id FROM {dataset}.item_results GROUP BY run_id "
            "HAVING COUNT(*) = COUNT(DISTINCT item_id)"
        )
    }
    outcome.rows_lost += len(attempted - set(runs))
    outcome.duplicate_rows += sum(n - 1 for n in runs.values() if n > 1)
    outcome.duplicate_rows += sum(1 for run in runs if run not in whole)
    per_episode = Counter(i["episode_id"] for i in issues)
    outcome.duplicate_issues += sum(n - 1 for n in per_episode.values() if n > 1)
    links = Counter(
        r["episode_id"] for r in history.select("SELECT episode_id FROM {dataset}.issue_links")
    )
    outcome.duplicate_issues += sum(n - 1 for n in links.values() if n > 1)
    outcome.duplicate_comments += sum(n - 1 for n in Counter(comments).values() if n > 1)


def _keep_rp3_failing(project: Project) -> None:
    """Day 3's restore drill fails instead of passing: RP3 stays failing, for a new reason."""
    drill = project.evidence / FSS / "drill_report" / "backup-restore-2026-11-27.json"
    drill.write_text(drill.read_text().replace('"outcome": "passed"', '"outcome": "failed"'))


def _killed(result: subprocess.CompletedProcess[str]) -> bool:
    return result.returncode == -signal.SIGKILL


# --------------------------------------------------------------------------- scenarios


def kill_during_record(work: Path) -> Outcome:
    """kill -9 inside the history write, then the retry of the same run."""
    out = Outcome("kill -9 during record")
    project = Project(work)
    for key, day in (("d1", DAYS[0]), ("d2", DAYS[1])):
        out.faults += 1
        if _killed(project.evaluate(key, day, {"READINESS_FAILPOINT": "record"})):
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
    _keep_rp3_failing(project)  # so day 3 comments on its issue
    steps = (("d2", DAYS[1], "sync-after-open"), ("d3", DAYS[2], "sync-after-comment"))
    for key, day, point in steps:
        out.faults += 1
        first = project.evaluate(key, day, {"READINESS_FAILPOINT": point})
        if not _killed(first):
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
        _keep_rp3_failing(project)  # so the calm run still has the issue to open
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


QUICK: list[Callable[[Path], Outcome]] = [
    kill_during_record,
    kill_between_tracker_and_link,
    half_written_evidence,
]
FULL: list[Callable[[Path], Outcome]] = [
    *QUICK,
    linear_storm,
    storage_outage,
    two_services_at_once,
]


def main(argv: list[str] | None = None) -> list[Outcome]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the subset CI runs")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT / "include"))
    work = Path(tempfile.mkdtemp(prefix="readiness-chaos-"))
    outcomes = []
    try:
        for position, scenario in enumerate(QUICK if args.quick else FULL):
            folder = work / f"{position}-{scenario.__name__}"
            folder.mkdir()
            started = time.monotonic()
            outcome = scenario(folder)
            outcome.notes.append(f"{time.monotonic() - started:.0f} s")
            outcomes.append(outcome)
            mark = "ok  " if outcome.ok else "FAIL"
            print(f"{mark} {outcome.scenario}: {'; '.join(outcome.notes)}", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    total = {
        "faults injected": sum(o.faults for o in outcomes),
        "recovered": sum(o.recovered for o in outcomes),
        "rows lost": sum(o.rows_lost for o in outcomes),
        "duplicate rows": sum(o.duplicate_rows for o in outcomes),
        "duplicate issues": sum(o.duplicate_issues for o in outcomes),
        "duplicate comments": sum(o.duplicate_comments for o in outcomes),
    }
    print(", ".join(f"{k} {v}" for k, v in total.items()))
    if args.json:
        args.json.write_text(
            json.dumps([{**o.__dict__, "ok": o.ok} for o in outcomes], indent=2) + "\n"
        )
    return outcomes


if __name__ == "__main__":
    sys.exit(0 if all(o.ok for o in main()) else 1)

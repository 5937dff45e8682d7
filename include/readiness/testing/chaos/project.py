"""What every chaos scenario shares: a throwaway copy of the project's story, running
``readiness`` in it, and the checks of what survived."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: The project: the chaos suite runs on a copy of its story.
ROOT = Path(__file__).resolve().parents[4]
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
                "READINESS_EXEMPTIONS_ROOT": str(ROOT / "samples" / "exemptions"),
                "READINESS_HISTORY": f"duckdb://{self.history}",
                "READINESS_OUTBOX": str(self.outbox),
                "READINESS_TRACKER": tracker,
                "READINESS_SOURCE_DEADLINE_S": "3",
                "READINESS_TEST_FAILPOINTS": "1",  # test-only: failpoints are inert without it
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


def keep_rp3_failing(project: Project) -> None:
    """Day 3's restore drill fails instead of passing: RP3 stays failing, for a new reason."""
    drill = project.evidence / FSS / "drill_report" / "backup-restore-2026-11-27.json"
    drill.write_text(drill.read_text().replace('"outcome": "passed"', '"outcome": "failed"'))


def killed(result: subprocess.CompletedProcess[str]) -> bool:
    return result.returncode == -signal.SIGKILL

"""The main job on embedded defaults: evaluate both sample services through the story of
samples/README.md and leave history in DuckDB (var/history.duckdb) and issues in the local
outbox (var/outbox). Run with `make demo`. Idempotent: the run ids are fixed, so running it
again replaces the same rows and opens no second issue."""

from __future__ import annotations

import sys
import time

from rich.console import Console
from rich.rule import Rule

from readiness.cli import main as readiness

STORY = [
    (
        "2026-11-20T06:00:00Z",
        "story-1-today",
        "Today: both services evaluated from the sample evidence.",
    ),
    (
        "2026-11-27T06:00:00Z",
        "story-2-week-later",
        "A week later: the weekly restore drill (RP3) was not repeated, so it goes stale.",
    ),
    (
        "2026-11-28T06:00:00Z",
        "story-3-remediated",
        "The next day: the team ran the drill; RP3 passes again and the issue is resolved.",
    ),
]


def run() -> int:
    console = Console(highlight=False)
    started = time.monotonic()
    for as_of, run_id, what in STORY:
        console.print(Rule(f"{run_id}  (as of {as_of})"))
        console.print(what + "\n")
        code = readiness(["evaluate", "--as-of", as_of, "--run-id", run_id])
        if code != 0:
            return code
    console.print(Rule("history"))
    readiness(["history", "file-storage-service", "--item", "RP3"])
    console.print(Rule("gate"))
    gate = readiness(["gate", "file-storage-service", "--level", "L2", "--as-of", STORY[-1][0]])
    console.print(f"(gate exit code {gate})\n")
    console.print(
        f"history: var/history.duckdb   issues: var/outbox/   ({time.monotonic() - started:.1f} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(run())

"""The main job on embedded defaults, through Airflow: every service's evaluation DAG runs
(``dag.test()``: SQLite metadata DB in var/airflow, DuckDB history in var/history.duckdb,
issues in the local outbox var/outbox) across the three dates of the story in
samples/README.md, then the command line reads the result back from history.

Run with `make demo`. Idempotent: each DAG run's id comes from its logical date, so running
the demo again replaces the same runs' rows and opens no second issue."""

from __future__ import annotations

import logging
import os
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "plugins"))

from readiness_airflow.local import (  # noqa: E402  (plugins/ on the path first)
    airflow_env,
    apply_env,
    load_dags,
    migrate_metadata_db,
    run_dag,
)

STORY = [
    ("2026-11-20T06:00:00+00:00", "Today: both services evaluated from the sample evidence."),
    (
        "2026-11-27T06:00:00+00:00",
        "A week later: the weekly restore drill (RP3) was not repeated, so it goes stale.",
    ),
    (
        "2026-11-28T06:00:00+00:00",
        "The next day: the team ran the drill; RP3 passes again and the issue is resolved.",
    ),
]


def run() -> int:
    apply_env(airflow_env(ROOT))
    # The story's fixed snapshot, not the living feed of the embedded default: the demo
    # replays the story's three dates.
    os.environ.setdefault("READINESS_EVIDENCE_ROOT", "samples/evidence")
    os.environ.setdefault("READINESS_EXEMPTIONS_ROOT", "samples/exemptions")
    # Task logs go to var/airflow; the demo prints what an SRE reads in the grid instead.
    os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING")
    from rich.console import Console
    from rich.rule import Rule

    console = Console(highlight=False)
    started = time.monotonic()
    console.print("Airflow metadata DB:", os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"])
    migrate_metadata_db()
    logging.getLogger("airflow").setLevel(logging.WARNING)
    dags = load_dags(ROOT / "dags")
    services = sorted(d for d in dags if d.startswith("readiness__") and "quarterly" not in d)
    console.print(f"DAGs: {', '.join(sorted(dags))}\n")
    failed = 0
    for when, what in STORY:
        console.print(Rule(f"as of {when}"))
        console.print(what)
        for dag_id in services:
            result = run_dag(dags[dag_id], datetime.fromisoformat(when))
            mark = "[green]success[/]" if result.succeeded else f"[red]{result.state}[/]"
            console.print(f"  {dag_id}  run {result.run_id}: {mark}")
            console.print(f"    note: {result.note or '(none)'}")
            if not result.succeeded:
                failed += 1
                bad = {t: s for t, s in result.task_states.items() if s != "success"}
                console.print(f"    tasks not successful: {bad}")
        console.print()

    from readiness.cli.main import main as readiness

    console.print(Rule("readiness status"))
    readiness(["status"])
    console.print(Rule("readiness history file-storage-service --item RP3"))
    readiness(["history", "file-storage-service", "--item", "RP3"])
    console.print(Rule("readiness gate file-storage-service --level L2"))
    gate = readiness(["gate", "file-storage-service", "--level", "L2", "--as-of", STORY[-1][0]])
    console.print(f"(gate exit code {gate})\n")
    console.print(
        f"history: var/history.duckdb   issues: var/outbox/   Airflow: var/airflow/   "
        f"({time.monotonic() - started:.1f} s)"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(run())

"""The chaos suite: faults injected into real runs, then recovery, then the promises checked
from history and from the tracker's own state.

Two kinds of scenario, on a copy of the story's evidence:

- In the CLI: ``readiness evaluate`` as a separate process (``engine.ServicePlan``'s stages,
  what a task runs) against real DuckDB history, the real outbox or the fake Linear built on
  Linear's schema, and the real Cloud Storage client. Faults: SIGKILL at a failpoint
  (``readiness.support.failpoints``), a Linear 429 and 5xx storm, a storage endpoint that refuses
  connections and then answers, a half-written evidence file, two services recording at
  once. Recovery: the retry of the same run (same ``--run-id``), or the next run.
- In Airflow (``in_airflow``): a real api-server, scheduler and dag-processor with the
  LocalExecutor on PostgreSQL run the service DAG against BigQuery history in the BigQuery
  emulator, evidence in the Cloud Storage emulator and the fake Linear. The faults land in
  the task processes: SIGKILL inside the BigQuery write and between Linear opening the issue
  and the link being saved, and each emulator stopped while a task is held between two of
  its calls, then started again. Recovery: Airflow's own retry of the task.

After recovery it checks: every run's rows exist exactly once, every episode has exactly one
issue, no comment was posted twice, no result was lost (in Airflow: each item's status is
what an undisturbed evaluation of the same evidence gives). Prints
``faults injected N, recovered N, rows lost 0, duplicate issues 0, duplicate comments 0``.

    python scripts/chaos.py [--quick] [--json FILE]    (make chaos)
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from readiness.testing.chaos.airflow_faults import in_airflow, in_airflow_quick
from readiness.testing.chaos.cli_faults import (
    half_written_evidence,
    kill_between_tracker_and_link,
    kill_during_record,
    linear_storm,
    storage_outage,
    two_services_at_once,
)
from readiness.testing.chaos.project import ROOT, Outcome

Scenario = Callable[[Path], "Outcome | list[Outcome]"]
#: What CI runs: one kill -9 and the half-written file in the CLI's process, and kill -9 of
#: a real Airflow record task. ``make chaos`` runs everything.
QUICK: list[Scenario] = [
    kill_during_record,
    half_written_evidence,
    in_airflow_quick,
]
FULL: list[Scenario] = [
    kill_during_record,
    kill_between_tracker_and_link,
    half_written_evidence,
    in_airflow,
    linear_storm,
    storage_outage,
    two_services_at_once,
]


def main(argv: list[str] | None = None) -> list[Outcome]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the subset CI runs")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    sys.path[:0] = [str(ROOT / "include"), str(ROOT / "plugins")]
    work = Path(tempfile.mkdtemp(prefix="readiness-chaos-"))
    outcomes = []
    try:
        for position, scenario in enumerate(QUICK if args.quick else FULL):
            folder = work / f"{position}-{scenario.__name__}"
            folder.mkdir()
            started = time.monotonic()
            result = scenario(folder)
            group = result if isinstance(result, list) else [result]
            group[-1].notes.append(f"{time.monotonic() - started:.0f} s")
            for outcome in group:
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

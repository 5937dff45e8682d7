"""A simulated quarter on the sample data (``make quarter``): both services onboarded on
2026-11-20 (the story's first day), evaluated every day to the end of 2026Q4, then the
quarterly revalidation DAG on 2027-01-01 through Airflow, which opens the revalidation
issues and writes the 2026Q4 report (var/quarter/reports/2026Q4/readiness-2026Q4.html).

The sample store is a snapshot around 2026-11-20. To keep it alive through December, the
simulation copies it to var/quarter/evidence and lets the teams' exporters keep running
(CI results, SLO counts, probes, recorded settings repeat on their cadence), and scripts a
few things that happen in December:
- file-storage-service works towards GA: VPC SC enforced (DE7), a second unannounced game
  day (GA4), the bounty-hunter scan (S7), the product owner's sign-off (SO5) and a renewed
  platform-architecture sign-off (SO7);
- its weekly restore drill (RP3) is skipped once, so RP3 goes stale and is remediated;
- maintenance-service's SRE signed its storage sign-off back in September: that signature
  expires on 2026-12-31, so the quarterly run finds it expired.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from readiness.samplefeed.feed import shift_name, shift_text

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "var" / "quarter"
EVIDENCE = OUT / "evidence"
FSS, MNT = "file-storage-service", "maintenance-service"
ONBOARDED = date(2026, 11, 20)
QUARTER_END = date(2026, 12, 31)
QUARTERLY_RUN = datetime(2027, 1, 1, 6, tzinfo=UTC)
_DAY = re.compile(r"20\d\d-\d\d-\d\d")
#: Evidence that teams' exporters keep producing, and how far each copy moves it.
RECURRING = {
    "ci_check": 14,
    "slo_events": 40,
    "probe_result": 18,
    "table_settings": 18,
    "config_snapshot": 14,
    "bucket_settings": 14,
    "coverage": 14,
}


def _shift_name(name: str, days: int, copy: int) -> str:
    if _DAY.search(name):
        return shift_name(name, days)
    stem, dot, ext = name.partition(".")
    return f"{stem}-{copy}{dot}{ext}"


def keep_exporting(store: Path) -> None:
    """Copies of the recurring evidence, moved forward until they cover the quarter."""
    for kind, step in RECURRING.items():
        folder = store / kind
        if not folder.is_dir():
            continue
        originals = [p for p in folder.iterdir() if p.is_file()]
        for copy in range(1, 7):
            days = step * copy
            for path in originals:
                text = path.read_text()
                if path.suffix == ".jsonl":  # one stream per file: append the moved records
                    with path.open("a") as stream:
                        stream.write(shift_text(text, days))
                    continue
                target = folder / _shift_name(path.name, days, copy)
                if not target.exists():
                    target.write_text(shift_text(text, days))


def _write(path: Path, record: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=2) + "\n")


def _append(path: Path, record: dict[str, Any]) -> None:
    with path.open("a") as stream:
        stream.write(json.dumps(record, sort_keys=True) + "\n")


def _patch(
    folder: Path,
    match: Any,
    field: str,
    since: str,
    change: Any,
) -> None:
    """Change the records of ``folder`` that ``match``, dated ``since`` or later: what the
    exporters report once a fix is in."""
    for path in folder.glob("*.jsonl"):
        records = [json.loads(line) for line in path.read_text().splitlines()]
        for record in records:
            if match(record) and str(record.get(field, "")) >= since:
                change(record)
        path.write_text("".join(json.dumps(r, sort_keys=True) + "\n" for r in records))


def december(store: Path, service: str) -> None:
    if service == FSS:
        for day in ("2026-12-05", "2026-12-12", "2026-12-26"):  # 12-19 is skipped
            _write(
                store / "drill_report" / f"backup-restore-{day}.json",
                {
                    "kind": "backup_restore",
                    "environment": "staging",
                    "started_at": f"{day}T07:00:00Z",
                    "finished_at": f"{day}T08:10:00Z",
                    "outcome": "passed",
                    "rto_minutes": 21,
                    "rpo_minutes": 3,
                    "report_url": f"https://drills.example.com/fss/restore-{day}",
                },
            )
        _write(
            store / "drill_report" / "game-day-2026-12-08.json",
            {
                "kind": "game_day",
                "scenario": "ClamAV outage",
                "environment": "production",
                "started_at": "2026-12-08T09:00:00Z",
                "finished_at": "2026-12-08T10:40:00Z",
                "outcome": "passed",
                "announced": False,
                "rto_minutes": 18,
                "rpo_minutes": 0,
                "report_url": "https://drills.example.com/fss/game-day-2026-12",
            },
        )
        # VPC SC enforced from 12-10 on: every snapshot from then says so
        _patch(
            store / "config_snapshot",
            lambda r: r.get("resource") == "vpc-service-controls",
            "captured_at",
            "2026-12-10",
            lambda r: r["settings"].update(enforced=True),
        )
        # sharp patched on 12-14, before RISK-91's waiver expires on 12-15
        _patch(
            store / "ci_check",
            lambda r: r.get("check") == "snyk test --prod",
            "finished_at",
            "2026-12-14",
            lambda r: r.update(status="passed", metrics={**r["metrics"], "high_cves": 0}),
        )
        for day in ("2026-12-09", "2026-12-16", "2026-12-23", "2026-12-30"):  # weekly from now
            _append(
                store / "ci_check" / f"{day}.jsonl",
                {
                    "check": "bounty-hunter-scan",
                    "status": "passed",
                    "branch": "main",
                    "commit": "9c1d2e7",
                    "finished_at": f"{day}T14:00:00Z",
                    "url": "https://ci.example.com/file-storage-service/runs/9120",
                    "metrics": {"critical_findings": 0},
                },
            )
        _write(
            store / "cost_report" / "2026-11.json",
            {
                "metric": "cost_per_file",
                "period_start": "2026-11-01T00:00:00Z",
                "period_end": "2026-11-30T23:59:59Z",
                "actual": 0.00040,
                "forecast": 0.00038,
                "currency": "EUR",
            },
        )
        for item, role, day in (
            ("SO5", "Product owner", "2026-12-14"),
            ("SO7", "Platform architecture", "2026-12-15"),
        ):
            _append(
                store / "attestation" / f"{item}.jsonl",
                {
                    "item": item,
                    "role": role,
                    "signer": role.lower().replace(" ", "-") + "@example.com",
                    "signed_at": f"{day}T10:00:00Z",
                    "statement": f"Signed off for GA: {role}",
                    "link": f"https://linear.example.com/review/{FSS}/{item}",
                },
            )
    else:
        path = store / "attestation" / "STO-SO.jsonl"
        records = [json.loads(line) for line in path.read_text().splitlines()]
        for record in records:
            if record["role"] == "SRE":
                record["signed_at"] = "2026-09-08T09:00:00Z"
        path.write_text("".join(json.dumps(r, sort_keys=True) + "\n" for r in records))


def prepare() -> None:
    if OUT.exists():
        shutil.rmtree(OUT)
    shutil.copytree(ROOT / "samples" / "evidence", EVIDENCE)
    for service in (FSS, MNT):
        keep_exporting(EVIDENCE / service)
        december(EVIDENCE / service, service)
    os.environ.update(
        READINESS_HOME=str(ROOT),
        READINESS_EVIDENCE_ROOT=str(EVIDENCE),
        READINESS_EXEMPTIONS_ROOT=str(ROOT / "samples" / "exemptions"),
        READINESS_HISTORY=f"duckdb://{OUT / 'history.duckdb'}",
        READINESS_OUTBOX=str(OUT / "outbox"),
        READINESS_REPORTS=str(OUT / "reports"),
    )


def run() -> int:
    from rich.console import Console

    console = Console(highlight=False)
    started = time.monotonic()
    prepare()
    sys.path.insert(0, str(ROOT / "plugins"))
    from readiness.history import RunMeta
    from readiness.pipeline.engine import evaluate
    from readiness.spec.config import load_settings
    from readiness_airflow.local import (
        airflow_env,
        apply_env,
        load_dags,
        migrate_metadata_db,
        run_dag,
    )

    settings = load_settings()
    day = ONBOARDED
    console.print(f"daily evaluations {ONBOARDED} … {QUARTER_END} (as the service DAGs would)")
    while day <= QUARTER_END:
        as_of = datetime(day.year, day.month, day.day, 5, tzinfo=UTC)
        report = evaluate(
            settings, as_of=as_of, meta=RunMeta(run_key=f"scheduled__{day}", trigger="scheduled")
        )
        changes = [
            f"{e.service} {e.previous_level} → {e.achieved_level}"
            for e in report.evaluations
            if e.previous_level != e.achieved_level
        ]
        opened = [k for r in report.issues.values() for k in r.opened]
        closed = [k for r in report.issues.values() for k in r.closed]
        if changes or opened or closed:
            console.print(
                f"  {day}: {'; '.join(changes) or 'levels unchanged'}"
                + (f"; opened {', '.join(opened)}" if opened else "")
                + (f"; closed {', '.join(closed)}" if closed else "")
            )
        day += timedelta(days=1)

    console.print(f"quarterly revalidation DAG as of {QUARTERLY_RUN.isoformat()} (dag.test)")
    apply_env(airflow_env(ROOT, OUT / "airflow"))
    os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING")
    migrate_metadata_db()
    dags = load_dags(ROOT / "dags")
    result = run_dag(dags["readiness__quarterly_revalidation"], QUARTERLY_RUN)
    console.print(f"  run {result.run_id}: {result.state}")
    for line in (result.note or "").splitlines():
        console.print(f"    {line}")
    from readiness.trackers.outbox.tracker import OutboxTracker

    for issue in OutboxTracker(OUT / "outbox").issues():
        if issue["item_id"] == "quarterly-revalidation" or issue["state"] == "open":
            console.print(f"  {issue['issue_key']} [{issue['state']}] {issue['title']}")
    console.print(f"done in {time.monotonic() - started:.0f} s")
    return 0 if result.succeeded else 1


if __name__ == "__main__":
    sys.exit(run())

"""The benchmark runner runs (on five services) so it cannot rot; its figures are printed,
not asserted, except that GX and the pandas floor agree on every status."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_the_benchmark_runs_on_five_services(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    run = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "run.py"),
            "--work",
            str(tmp_path / "work"),
            "--out",
            str(out),
            "--no-bigquery",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env={"BENCH_N": "5", "PATH": "/usr/bin:/bin", "READINESS_HOME": str(ROOT)},
    )
    assert run.returncode == 0, run.stderr[-3000:]
    results = json.loads(out.read_text())
    row = results["5"]
    assert row["services"] == 5 and row["items"] == 5 * 99
    for key in ("items_per_s", "gx_vs_floor", "parse_vs_static", "peak_rss_mb"):
        assert row[key] > 0, key
    assert row["same_statuses"], row["statuses"]
    assert "items/s" in run.stdout


def test_the_report_benchmark_runs_and_the_report_sees_every_service() -> None:
    run = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "report.py"),
            "--services",
            "3",
            "--items",
            "8",
            "--days",
            "14",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    assert "3 services × 14 days × 8 items = 336 item rows" in run.stdout
    assert "report / pulling the rows:" in run.stdout


@pytest.mark.slow
@pytest.mark.bench
def test_the_production_path_benchmark_runs_on_the_preloading_executor(tmp_path: Path) -> None:
    """One run through real Airflow components with ReadinessLocalExecutor: the bench
    cannot rot, and the executor that preloads GX is exercised (its score task imports
    nothing)."""
    out = tmp_path / "prod.json"
    run = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "production_path.py"),
            *("--runs", "1", "--specs", "2", "--executor", "local-preload", "--idle", "2"),
            *("--json", str(out)),
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    (row,) = json.loads(out.read_text())
    assert row["executor"] == "ReadinessLocalExecutor" and row["succeeded"] == 1
    assert row["tasks_per_run"] == 5 and row["cpu_s_per_run"] > 0
    assert row["gx_import_s_per_run"] < 0.2, row  # imported by the workers, before the fork

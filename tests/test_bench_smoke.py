"""The benchmark runner runs (on five services) so it cannot rot; its figures are printed,
not asserted, except that GX and the pandas floor agree on every status."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
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


def _ours(marker: str) -> list[str]:
    """Live processes whose command line or environment names ``marker`` (our tmp dir)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        if int(pid) == os.getpid():
            continue
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
            environ = Path(f"/proc/{pid}/environ").read_bytes()
        except OSError:
            continue
        if marker.encode() in cmdline or marker.encode() in environ:
            found.append(f"{pid}: {cmdline.decode(errors='replace')[:120]}")
    return found


@pytest.mark.bench
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_an_interrupted_production_bench_stops_its_cluster_and_database(signum: int) -> None:
    """Stopped while its cluster runs (as a timeout stops ``make bench``), the bench leaves
    no api-server, scheduler, dag-processor or PostgreSQL behind, and no files."""
    # the PostgreSQL server runs as user postgres, which must reach its folder
    work = Path(tempfile.mkdtemp(prefix="readiness-interrupt-", dir="/tmp"))
    work.chmod(0o755)
    env = {**os.environ, "TMPDIR": str(work)}
    bench = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "production_path.py"), "--runs", "50"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 300
        while not any("api-server" in p for p in _ours(str(work))):
            assert bench.poll() is None, bench.stderr.read().decode()[-3000:]  # type: ignore[union-attr]
            assert time.monotonic() < deadline, "the bench's cluster never started"
            with contextlib.suppress(subprocess.TimeoutExpired):
                bench.wait(timeout=1)  # wakes at once if the bench exits
        assert any("postgres" in p for p in _ours(str(work)))
        bench.send_signal(signum)
        bench.wait(timeout=120)
        assert bench.returncode != 0
        left = _ours(str(work))
        assert left == [], left
        assert list(work.iterdir()) == []
    finally:
        if bench.poll() is None:
            bench.kill()
            bench.wait()
        for process in _ours(str(work)):  # what a failed assertion found left behind
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(process.split(":")[0]), signal.SIGKILL)
        shutil.rmtree(work, ignore_errors=True)

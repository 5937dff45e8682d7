"""The README's picture of the living embedded default: a few days of a service DAG's runs in
the Airflow grid, rendered by headless Chromium (Debian's ``chromium``).

``python scripts/ui_screenshot.py [--days 8] [--out docs/img/airflow-grid.png]``

Everything goes to ``var/ui-shot/`` (its own metadata DB, history, outbox and evidence
feed), so the picture does not depend on what else ran on the machine. The days up to
today are run with ``dag.test()`` at each service's own cron time, against the sample feed
(``samplefeed://``), exactly as the scheduler would run them; then an api-server serves the
UI (SimpleAuthManager with every user an admin, on loopback only, for the screenshot) and
Chromium renders the service DAG's page. Run it under ``faketime -f +400d`` to see the same
picture a year on."""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "plugins"))
sys.path.insert(0, str(ROOT / "scripts"))

from screenshot import capture, dom  # noqa: E402

from readiness_airflow.local import (  # noqa: E402
    airflow_env,
    apply_env,
    load_dags,
    migrate_metadata_db,
    run_dag,
)

OUT = ROOT / "var" / "ui-shot"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _cron_times(schedule: str, days: int, now: datetime) -> list[datetime]:
    """The schedule's ticks over the last ``days`` days, oldest first."""
    from croniter import croniter

    ticks: list[datetime] = []
    it = croniter(schedule, now)
    while True:
        tick = it.get_prev(datetime)
        if tick < now - timedelta(days=days):
            return sorted(ticks)
        ticks.append(tick)


def backfill(days: int) -> dict[str, list[tuple[str, str]]]:
    """Each service DAG's ticks of the last ``days`` days; (run id, run note) per DAG."""
    from readiness.spec.config import load_settings
    from readiness.spec.loader import load_catalog

    settings = load_settings()
    catalog = load_catalog(settings.checklist_paths, settings.service_paths)
    dags = load_dags(ROOT / "dags")
    now = datetime.now(UTC)
    runs: dict[str, list[tuple[str, str]]] = {}
    for name, spec in sorted(catalog.specs.items()):
        dag = dags[f"readiness__{name}"]
        for tick in _cron_times(spec.schedule, days, now):
            result = run_dag(dag, tick)
            print(f"  {tick:%a %Y-%m-%d %H:%M}  {result.state:8} {result.note}", flush=True)
            runs.setdefault(dag.dag_id, []).append((result.run_id, result.note or ""))
    return runs


def check_pages(base: str, services: list[str], shown: str) -> None:
    """What a person sees in the readiness pages: every service with its level and next
    lapse, and an item's evidence URI and what blocks the next level (Chromium's DOM, after
    scripts). Local evidence is ``file://``, which pages show as text, never as a link."""
    portfolio = dom(f"{base}/readiness/", 3_000)
    missing = [s for s in services if f">{s}</a>" not in portfolio]
    if missing or ("below target" not in portfolio and "at target" not in portfolio):
        raise SystemExit(f"ui-check: the portfolio does not show {missing or 'the levels'}")
    if "next lapse" not in portfolio:
        raise SystemExit("ui-check: the portfolio lacks its next-lapse column")
    page = dom(f"{base}/readiness/services/{shown}", 3_000)
    if 'href="file://' in page:
        raise SystemExit("ui-check: the service page links a file:// URI")
    for expected in ("What blocks", "file://", 'class="mono', "Next lapse"):
        if expected not in page:
            raise SystemExit(f"ui-check: the service page lacks {expected!r}")
    print(
        f"ui-check: portfolio shows {', '.join(services)}; {shown}'s page shows its "
        "blocking items and evidence links",
        flush=True,
    )


def render(
    pages: list[tuple[str, Path, int]],
    width: int,
    height: int,
    check: tuple[list[str], str] | None = None,
) -> None:
    """Each (UI path such as ``dags/<dag_id>``, PNG, wait in ms) with one api-server; with
    ``check``, the readiness pages' DOM is checked too."""
    port = _free_port()
    env = {**os.environ, "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True"}
    bin_dir = Path(sys.executable).parent
    log = (OUT / "api-server.log").open("wb")
    server = subprocess.Popen(
        [str(bin_dir / "airflow"), "api-server", "--port", str(port), "--host", "127.0.0.1"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/monitor/health"):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"the api-server did not start; see {log.name}") from None
                with contextlib.suppress(subprocess.TimeoutExpired):
                    server.wait(timeout=1)
        if check is not None:
            check_pages(f"http://127.0.0.1:{port}", *check)
        for page, png, wait_ms in pages:
            capture(f"http://127.0.0.1:{port}/{page}", png, width, height, wait_ms=wait_ms)
            print(f"wrote {png}", flush=True)
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=8)
    parser.add_argument("--dag", default="readiness__file-storage-service")
    parser.add_argument("--out", type=Path, default=ROOT / "docs/img/airflow-grid.png")
    parser.add_argument(
        "--readiness-dir",
        type=Path,
        default=ROOT / "docs/img",
        help="where the readiness pages' pictures go (portfolio, DAG tab, service page)",
    )
    parser.add_argument("--size", default="1600,1000")
    args = parser.parse_args()
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    apply_env(airflow_env(ROOT, OUT / "airflow"), override=True)
    os.environ.update(
        READINESS_EVIDENCE_ROOT=f"samplefeed://{OUT / 'evidence'}",
        READINESS_EXEMPTIONS_ROOT=f"samplegrants://{OUT / 'exemptions'}",
        READINESS_HISTORY=f"duckdb://{OUT / 'history.duckdb'}",
        READINESS_OUTBOX=str(OUT / "outbox"),
        AIRFLOW__LOGGING__LOGGING_LEVEL="WARNING",
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    migrate_metadata_db()
    print(f"the last {args.days} days of each service's schedule (dag.test):")
    runs_by_dag = backfill(args.days)
    runs = runs_by_dag.get(args.dag, [])
    # the page of the newest run that downgraded (the weekly skipped restore drill), with
    # the grid beside it; else the newest run
    shown = next((r for r, note in reversed(runs) if "DOWNGRADED" in note), None)
    shown = shown or (runs[-1][0] if runs else None)
    page = f"dags/{args.dag}" + (f"/runs/{quote(shown, safe='')}" if shown else "")
    width, height = (int(v) for v in args.size.split(","))
    shots = args.readiness_dir
    service = args.dag.removeprefix("readiness__")
    render(
        [
            (page, args.out, 30_000),
            ("plugin/readiness", shots / "readiness-portfolio.png", 15_000),
            (f"dags/{args.dag}/plugin/readiness-dag", shots / "readiness-dag-tab.png", 15_000),
            (f"readiness/services/{service}", shots / "readiness-service.png", 3_000),
        ],
        width,
        height,
        check=(sorted(d.removeprefix("readiness__") for d in runs_by_dag), service),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

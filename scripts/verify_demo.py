"""``make verify-demo``: thirty days of the living default, then ``readiness verify`` on
untouched history, and on each edit an insider could make, on DuckDB and (``--bigquery``)
on the BigQuery emulator. Everything lives in a temporary folder and is removed after;
the emulator is stopped however the demo ends.

    .venv/bin/python scripts/verify_demo.py [--days 30] [--bigquery]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import shutil
import signal
import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FSS = "file-storage-service"


def _cli(*argv: str) -> tuple[int, str]:
    from readiness.cli.main import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = main(list(argv))
    return code, out.getvalue()


def _show(title: str, argv: list[str], lines: int = 3) -> int:
    code, text = _cli(*argv)
    print(f"\n== {title}\n$ readiness {' '.join(argv)}")
    kept = [line for line in text.splitlines() if line.strip()]
    broken = [line for line in kept if line.startswith(("BROKEN", "ok:", "yes:", "no:"))]
    for line in (broken or kept)[:lines]:
        print(f"  {line}")
    print(f"  exit {code}")
    return code


@contextlib.contextmanager
def _environment(work: Path, history: str, endpoint: str) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.update(
        {
            "READINESS_HOME": str(ROOT),
            "READINESS_EVIDENCE_ROOT": f"samplefeed://{work}/evidence",
            "READINESS_EXEMPTIONS_ROOT": f"samplegrants://{work}/exemptions",
            "READINESS_HISTORY": history,
            "READINESS_BIGQUERY_ENDPOINT": endpoint,
            "READINESS_OUTBOX": str(work / "outbox"),
            "READINESS_VERDICT_KEY": str(work / "verdict-key.pem"),
            "READINESS_VERDICT_KEYRING": str(work / "verdict-keyring.json"),
            "READINESS_EVIDENCE_ARCHIVE": str(work / "evidence-archive"),
        }
    )
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def demo(work: Path, backend: str, history: str, endpoint: str, days: int) -> bool:
    from readiness.history import history_for
    from readiness.spec.config import load_settings
    from readiness.testing import tampering

    print(f"\n######## {backend}: {history}")
    today = datetime.now(UTC).replace(hour=6, minute=0, second=0, microsecond=0)
    with _environment(work, history, endpoint):
        for back in range(days, 0, -1):
            day = today - timedelta(days=back)
            code, text = _cli("evaluate", "--as-of", day.isoformat(), "--run-id", f"d{back}")
            if code != 0:
                print(text)
                return False
        store = history_for(load_settings())
        run = f"{FSS}@d2"
        chain = store.verdicts(FSS)
        print(f"{days} days recorded; {FSS} has {len(chain)} verdicts")
        ok = _show("untouched history", ["verify"]) == 0
        ok &= _show("untouched history, re-derived from the archive", ["verify", "--rederive"]) == 0
        ok &= _show(
            "the gate some days ago, from the chain",
            [
                "gate",
                FSS,
                "--level",
                "L2",
                "--as-of",
                (today - timedelta(days=min(7, days // 2))).isoformat(),
            ],
            lines=1,
        ) in (0, 1)

        cases: list[tuple[str, Callable[[], Callable[[], None]], list[str]]] = [
            ("edit one item row", lambda: tampering.edit_item(store, run)[1], ["verify"]),
            ("reorder two verdicts", lambda: tampering.reorder(store, FSS, 2, 3), ["verify"]),
            (
                "swap an archived evidence file",
                lambda: tampering.swap_archived(
                    store, work / "evidence-archive", FSS, len(chain) - 1
                )[1],
                ["verify", "--rederive"],
            ),
            ("re-sign with an unknown key", lambda: tampering.resign(store, FSS, 3)[1], ["verify"]),
        ]
        for title, tamper, argv in cases:
            undo = tamper()
            try:
                ok &= _show(title, argv) == 1
            finally:
                undo()
        tampering.delete_run(store, f"{FSS}@d{days // 2}")
        ok &= _show("delete a run", ["verify"]) == 1
        store.close()
    return bool(ok)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--bigquery", action="store_true", help="also on the BigQuery emulator")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    work = Path(tempfile.mkdtemp(prefix="readiness-verify-demo-"))
    ok = True
    try:
        ok &= demo(
            work / "duckdb", "duckdb", f"duckdb://{work}/duckdb/history.duckdb", "", args.days
        )
        if args.bigquery:
            from readiness.testing.emulators import PROJECT, running_bigquery_emulator

            with running_bigquery_emulator() as endpoint:
                ok &= demo(
                    work / "bigquery",
                    "bigquery",
                    f"bigquery://{PROJECT}/verify_demo",
                    endpoint,
                    args.days,
                )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("\nverify-demo: " + ("every edit caught" if ok else "SOMETHING WAS NOT CAUGHT"))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())

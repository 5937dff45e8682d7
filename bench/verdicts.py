"""What a signed verdict adds to a run: the ``record`` stage as the Airflow task runs it
(``ServiceStages.record``), with sealing and without, on the sample services, and where the
added time goes (archive, statement and RFC 8785, the Ed25519 signature, the chain append).

    .venv/bin/python bench/verdicts.py [--runs 15] [--bigquery]

Each run records the same scored evaluation under a new run id into a fresh DuckDB history
(and, with ``--bigquery``, the emulator), so the figures are the record task's work only:
Airflow's task start is the same with or without a verdict."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
AS_OF = datetime(2026, 11, 27, 6, tzinfo=UTC)


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def _timed(fn: Callable[[], Any], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def _records(encode: Callable[[Any], bytes], ev: Any) -> list[bytes]:
    return [encode(r.evidence) for r in ev.items if r.evidence]


def _statement(canonical: Any, statement: Any, ev: Any, link: Any) -> bytes:
    data: bytes = canonical(statement(ev, link))
    return data


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--bigquery", action="store_true", help="also against the emulator")
    args = parser.parse_args()
    from readiness.testing.interrupts import stop_on_termination

    stop_on_termination()  # the BigQuery emulator is stopped on a timeout's SIGTERM too
    os.environ.setdefault("READINESS_EVIDENCE_ROOT", "samples/evidence")

    from readiness.domain.verdicts import ChainLink, canonical, statement
    from readiness.history import RunMeta, history_for
    from readiness.pipeline import engine
    from readiness.pipeline.stages import ServiceStages
    from readiness.pipeline.verdicts import Sealer, evidence_record
    from readiness.spec.config import Settings

    work = Path(tempfile.mkdtemp(prefix="bench-verdicts-"))
    backends = {"duckdb": f"duckdb://{work}/history.duckdb"}
    stack = None
    if args.bigquery:
        from contextlib import ExitStack

        from readiness.testing.emulators import PROJECT, running_bigquery_emulator

        stack = ExitStack()
        endpoint = stack.enter_context(running_bigquery_emulator())
        backends["bigquery"] = f"bigquery://{PROJECT}/bench_verdicts"
    results: dict[str, Any] = {}
    try:
        for backend, url in backends.items():
            settings = Settings(
                project_root=ROOT,
                history=url,
                bigquery_endpoint=endpoint if backend == "bigquery" else "",
                outbox=str(work / "outbox"),
                collect_workers=1,
                evidence_root="samples/evidence",
                exemptions_root="samples/exemptions",
                verdict_key=str(work / "key.pem"),
                verdict_keyring=str(work / "keyring.json"),
                evidence_archive=str(work / "archive"),
            )
            for service in ("file-storage-service", "maintenance-service"):
                stages = ServiceStages(settings, service)
                collected = [stages.collect(s.id, AS_OF) for s in stages.sources]
                scored, _warnings = stages.score(collected, AS_OF, "bench")
                ev = stages.load(scored)
                history = history_for(settings)
                history.init()
                sealer = Sealer.of(settings)
                counter = iter(range(10**6))

                def plain(history: Any = history, ev: Any = ev, counter: Any = counter) -> None:
                    engine.record(history, [ev], RunMeta(run_key=f"p{next(counter)}"))

                def sealed(
                    history: Any = history,
                    ev: Any = ev,
                    sealer: Any = sealer,
                    counter: Any = counter,
                ) -> None:
                    engine.record(history, [ev], RunMeta(run_key=f"s{next(counter)}"), sealer)

                plain()
                sealed()  # warm: connections, the archive's first writes, imports
                without, with_verdict = [], []
                for _ in range(args.runs):  # interleaved: a busy machine slows both alike
                    without += _timed(plain, 1)
                    with_verdict += _timed(sealed, 1)
                doc = statement(ev, ChainLink(2, "0" * 64, None), {}, None)
                payload = canonical(doc)
                link = ChainLink(2, "0" * 64, None)
                parts = {
                    "evidence records (encode + sha256, archive already holds them)": _timed(
                        partial(_records, evidence_record, ev), args.runs
                    ),
                    "statement + RFC 8785": _timed(
                        partial(_statement, canonical, statement, ev, link), args.runs
                    ),
                    "Ed25519 signature (DSSE)": _timed(
                        partial(sealer.key.sign, payload), args.runs
                    ),
                }
                envelope = sealer.key.sign(payload)
                results[f"{backend}/{service}"] = {
                    "items": len(ev.items),
                    "record_ms": _median_ms(without),
                    "record_with_verdict_ms": _median_ms(with_verdict),
                    "added_ms": _median_ms(with_verdict) - _median_ms(without),
                    "parts_ms": {k: _median_ms(v) for k, v in parts.items()},
                    "envelope_bytes": len(json.dumps(envelope)),
                    "payload_bytes": len(payload),
                }
                history.close()
    finally:
        if stack is not None:
            stack.close()
    print(f"record stage, median of {args.runs} runs (ServiceStages.record's work)")
    print(
        f"{'backend/service':44} {'items':>5} {'record ms':>10} {'+verdict ms':>12} "
        f"{'added ms':>9} {'added %':>8} {'envelope KB':>12}"
    )
    for name, r in results.items():
        print(
            f"{name:44} {r['items']:5d} {r['record_ms']:10.1f} {r['record_with_verdict_ms']:12.1f} "
            f"{r['added_ms']:9.1f} {100 * r['added_ms'] / r['record_ms']:7.0f}% "
            f"{r['envelope_bytes'] / 1024:12.1f}"
        )
        for part, ms in r["parts_ms"].items():
            print(f"    {part:64} {ms:8.2f} ms")
    out = ROOT / "bench" / "verdicts.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

"""N synthetic services for the benchmarks: each follows the file-storage-readiness checklist
(99 items) with an evidence store of its own, made from the sample store with a seeded
mix of deviations, so a run meets passing, failing, stale and missing evidence in realistic
proportions. Unchanged files are hard links (cheap); changed ones are real files.

    python bench/generate.py N FOLDER
"""

from __future__ import annotations

import json
import os
import random
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "evidence" / "file-storage-service"
SPEC = ROOT / "services" / "file-storage-service.yaml"


def _rewrite(path: Path, change: dict[str, object]) -> None:
    """Replace a hard link by a changed copy (JSON object or JSON Lines)."""
    text = path.read_text()
    path.unlink()
    if path.suffix == ".jsonl":
        records = [json.loads(line) for line in text.splitlines() if line.strip()]
        records = [{**r, **change} for r in records]
        path.write_text("".join(json.dumps(r) + "\n" for r in records))
    else:
        record = json.loads(text)
        if isinstance(record, dict):
            record.update(change)
        path.write_text(json.dumps(record))


def deviate(store: Path, rng: random.Random) -> dict[str, int]:
    """About what a real fleet shows: most evidence fine, some failing, stale or gone."""
    counts = {"missing": 0, "stale": 0, "fail": 0}
    drills = sorted((store / "drill_report").glob("*.json"))
    attestations = sorted((store / "attestation").glob("*.jsonl"))
    for path in drills:
        roll = rng.random()
        if roll < 0.06:
            path.unlink()
            counts["missing"] += 1
        elif roll < 0.12:
            _rewrite(
                path, {"finished_at": "2025-01-10T10:00:00Z", "started_at": "2025-01-10T09:00:00Z"}
            )
            counts["stale"] += 1
        elif roll < 0.18:
            _rewrite(path, {"outcome": "failed"})
            counts["fail"] += 1
    for path in attestations:
        if rng.random() < 0.05:
            path.unlink()
            counts["missing"] += 1
    return counts


def generate(n: int, folder: Path, seed: int = 7) -> Path:
    """Specs in ``folder/services``, stores in ``folder/evidence/<service>``; returns folder.
    Reuses a folder generated for the same N and seed."""
    marker = folder / f".generated-{n}-{seed}"
    if marker.exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    services, evidence = folder / "services", folder / "evidence"
    services.mkdir(parents=True)
    rng = random.Random(seed)
    template = SPEC.read_text()
    for i in range(n):
        name = f"bench-service-{i:04d}"
        (services / f"{name}.yaml").write_text(
            template.replace("service: file-storage-service", f"service: {name}").replace(
                "  repo: samples/repos/file-storage-service",
                f"  store: {evidence / name}\n  repo: samples/repos/file-storage-service",
            )
        )
        target = evidence / name
        for source in SAMPLE.rglob("*"):
            if source.is_file():
                dest = target / source.relative_to(SAMPLE)
                dest.parent.mkdir(parents=True, exist_ok=True)
                os.link(source, dest)
        deviate(target, rng)
    marker.touch()
    return folder


if __name__ == "__main__":
    generate(int(sys.argv[1]), Path(sys.argv[2]))
    print(f"generated {sys.argv[1]} services in {sys.argv[2]}")

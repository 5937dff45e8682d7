"""How close ``readiness import-checklist`` gets to the hand-made checklists: each seed
document imported, loaded like any checklist, and compared item by item with the shipped
checklist for it (same collector, same max_age). ``python bench/importer_agreement.py``."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from readiness.authoring.importer import Agreement, agreement, import_file
from readiness.spec.loader import parse_checklist

ROOT = Path(__file__).resolve().parents[1]
SEEDS = {
    "004_c8fe06fd7f8cf8f4.txt": "file-storage-readiness.yaml",
    "000_ef73124d4c892e6d.txt": "maintenance-cutover.yaml",
}


def measure(seed: str, shipped: str) -> Agreement:
    result = import_file(ROOT / "docs" / "seeds" / seed)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "imported.yaml"
        path.write_text(result.yaml(seed))
        imported, problems = parse_checklist(path)
    reference, _ = parse_checklist(ROOT / "checklists" / shipped)
    if imported is None or reference is None:
        raise SystemExit(f"{seed}: the imported checklist does not load: {problems[:3]}")
    return agreement(imported, reference)


def main() -> int:
    print(f"{'seed':28} {'items':>5} {'shipped':>7} {'by id':>5}  same collector   same max_age")
    for seed, shipped in SEEDS.items():
        a = measure(seed, shipped)
        print(
            f"{seed:28} {a.imported:5} {a.reference:7} {a.common:5}  "
            f"{a.same_collector:3}/{a.common:<3} {a.collector_share:4.0%}    "
            f"{a.same_max_age:3}/{a.common:<3} {a.max_age_share:4.0%}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

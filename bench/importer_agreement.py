"""How close ``readiness import-checklist`` gets to what documents mean.

- The seeds: each imported, loaded like any checklist, and compared item by item with the
  shipped hand-made checklist (same collector, same max_age).
- Public checklists of other organisations (tests/unit/testdata/checklists/): rows in the
  document → items, levels right (against the ticks, read with plain line patterns),
  thresholds read, whether ``check`` accepts it, and one evaluation of it through the CLI.

``python bench/importer_agreement.py``."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from readiness.authoring.importer import (
    Agreement,
    Document,
    agreement,
    document_agreement,
    import_documents,
    import_file,
)
from readiness.spec.loader import parse_checklist
from readiness.testing.projects import evaluate_imported

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


PUBLIC_ROOT = ROOT / "tests" / "unit" / "testdata" / "checklists"
#: name, files, the levels as the document means them (lowest first), the --levels given
PUBLIC = [
    (
        "mercari (design + pre-production + levels page)",
        [
            "mercari/design-checklist.md",
            "mercari/pre-production-checklist.md",
            "mercari/production-readiness-level.md",
        ],
        ["C", "B", "A"],
        None,
    ),
    (
        "gorrion (Level column)",
        ["gorrion/README.md"],
        ["critical", "should-have", "nice-to-have"],
        None,
    ),
    (
        "microsoft (task lists)",
        ["microsoft/engineering-fundamentals-checklist.md"],
        ["READY"],
        None,
    ),
]


def public_row(name: str, files: list[str], order: list[str], levels: list[str] | None) -> str:
    docs = [Document(f, (PUBLIC_ROOT / f).read_text(encoding="utf-8")) for f in files]
    result = import_documents(docs, levels=levels)
    measured = document_agreement(name, {d.name: d.text for d in docs}, result.checklist, order)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "imported.yaml"
        path.write_text(result.yaml(name))
        checklist, problems = parse_checklist(path)
        checked = "yes" if checklist is not None else f"no ({len(problems)})"
        spec = (
            "service: orders-service\nowner_team: orders\ntracker_team: ORD\n"
            f'target_level: {order[-1]}\nschedule: "0 6 * * *"\n'
            f"checklist: {result.checklist['checklist']}\n"
        )
        code, report, _err = evaluate_imported(
            Path(folder) / "project", result.yaml(name), spec, {}, "2026-12-01T06:00:00Z"
        )
    runs = report.get("services", [])
    counts = runs[0]["counts"] if runs else {}
    statuses = ", ".join(f"{n} {status}" for status, n in counts.items() if n)
    evaluated = f"yes: {statuses}" if code == 0 and runs else f"no (exit {code})"
    levels_right = (
        f"{measured.levels_right}/{measured.levels_stated}"
        if measured.levels_stated
        else "n/a (one level)"
    )
    return (
        f"| {name} | {measured.rows} → {measured.items} | {levels_right} | "
        f"{measured.thresholds_read}/{measured.thresholds_stated} | {checked} | {evaluated} | "
        f"{result.review}/{result.items} |"
    )


def main() -> int:
    print(f"{'seed':28} {'items':>5} {'shipped':>7} {'by id':>5}  same collector   same max_age")
    for seed, shipped in SEEDS.items():
        a = measure(seed, shipped)
        print(
            f"{seed:28} {a.imported:5} {a.reference:7} {a.common:5}  "
            f"{a.same_collector:3}/{a.common:<3} {a.collector_share:4.0%}    "
            f"{a.same_max_age:3}/{a.common:<3} {a.max_age_share:4.0%}"
        )
    print()
    print(
        "| document | rows → items | levels right | thresholds read | check | one evaluation "
        "| marked review |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name, files, order, levels in PUBLIC:
        print(public_row(name, files, order, levels))
    return 0


if __name__ == "__main__":
    sys.exit(main())

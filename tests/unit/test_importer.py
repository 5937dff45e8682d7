"""``readiness import-checklist`` on both seeds and on the table styles a team might paste."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from readiness.cli import main
from readiness.importer import import_checklist, import_file
from readiness.loader import parse_checklist

SEEDS = Path(__file__).resolve().parents[2] / "docs" / "seeds"
FSS = SEEDS / "004_c8fe06fd7f8cf8f4.txt"
MNT = SEEDS / "000_ef73124d4c892e6d.txt"


def _items(checklist: dict) -> list[dict]:  # type: ignore[type-arg]
    return [i for s in checklist["sections"] for i in s["items"]]


@pytest.mark.parametrize("seed", [FSS, MNT], ids=["file-storage", "maintenance"])
def test_both_seeds_import_into_checklists_that_check_accepts(
    seed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "imported.yaml"
    assert main(["import-checklist", str(seed), "-o", str(out)]) == 0
    checklist, problems = parse_checklist(out)
    assert problems == [] and checklist is not None
    capsys.readouterr()
    # the same validation as for the shipped checklists, Great Expectations included
    assert main(["check", str(out)]) == 0
    assert "&id" not in out.read_text()  # plain YAML, no anchors


def test_table_ids_are_kept_and_sign_off_roles_found() -> None:
    result = import_file(FSS)
    ids = [i["id"] for i in _items(result.checklist)]
    in_seed = re.findall(r"^([A-Z]{1,3}\d{1,2})(?=[A-Z/a-z])", FSS.read_text(), re.M)
    assert len(in_seed) == 82 and ids[: len(in_seed)] == in_seed  # every table row, in order
    signoffs = next(s for s in result.checklist["sections"] if s["title"] == "Sign-offs")
    assert signoffs["signoff_roles"] == [
        "Service tech lead",
        "Database reviewer",
        "Security reviewer",
        "SRE / on-call lead",
        "Product owner",
        "Compliance / DPO",
        "Platform architecture",
    ]
    assert [i["id"] for i in signoffs["items"]] == [f"SO{n}" for n in range(1, 8)]
    assert {i["evidence"]["kind"] for i in signoffs["items"]} == {"attestation"}
    # the levels table, and sections that name a level are required from it
    assert [lv["id"] for lv in result.checklist["levels"]] == ["L0", "L1", "L2", "L3", "L4"]
    assert [lv["name"] for lv in result.checklist["levels"]] == [
        "Dev",
        "Staging",
        "Pilot",
        "GA",
        "Mature",
    ]
    by_title = {s["title"]: s for s in result.checklist["sections"]}
    assert by_title["Recovery posture (always-on after L2)"]["required_from"] == "L2"
    assert by_title["GA exit criteria (from Pilot)"]["required_from"] == "L3"
    assert len(by_title["GA exit criteria (from Pilot)"]["items"]) == 5
    # a run-together row is split where the words change
    d4 = next(i for i in _items(result.checklist) if i["id"] == "D4")
    assert d4["title"] == "Tenant prefix invariant tested"
    assert d4["evidence"]["params"]["where"] == {"check": "tenant-isolation"}


def test_bullet_sections_get_ids_and_their_sign_off_lines() -> None:
    result = import_file(MNT)
    text = MNT.read_text()
    top_bullets = len(re.findall(r"^  • ", text, re.M))
    nested = len(re.findall(r"^    ◦ |^    • ", text, re.M))
    items = _items(result.checklist)
    assert len(items) == top_bullets + 1  # every top-level bullet, plus the final sign-off
    assert nested == 3
    tests = next(s for s in result.checklist["sections"] if s["title"].startswith("Test"))
    mandatory = next(i for i in tests["items"] if i["title"].startswith("Mandatory specs"))
    assert "integration/outbox.spec.ts" in mandatory["check"]  # nested bullets join it
    documentation = result.checklist["sections"][0]
    assert [i["id"] for i in documentation["items"]][-2:] == ["DOC8", "DOC-SO"]
    assert documentation["signoff_roles"] == ["Tech writer", "Domain owner"]
    final = result.checklist["sections"][-1]
    assert final["items"][0]["evidence"]["params"]["roles"] == [
        "Engineering lead",
        "SRE",
        "Security",
        "Product",
        "Domain owner",
    ]
    # one level: the cutover gate
    assert [lv["id"] for lv in result.checklist["levels"]] == ["GA"]


def test_unmapped_items_become_attestations_marked_for_review() -> None:
    result = import_file(FSS)
    da5 = next(i for i in _items(result.checklist) if i["id"] == "DA5")
    assert da5["evidence"] == {"kind": "attestation", "params": {"roles": ["Service owner"]}}
    assert da5["review"].startswith("no collector for 'screenshot in DR runbook'")
    a4 = next(i for i in _items(result.checklist) if i["id"] == "A4")
    assert a4["evidence"]["params"]["where"] == {"check": "tenantcontextguard"}
    assert "review" not in a4
    assert result.review == sum(1 for i in _items(result.checklist) if "review" in i)


def test_what_cannot_be_parsed_is_reported_with_its_line_number(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["import-checklist", str(FSS), "-o", str(tmp_path / "x.yaml")]) == 0
    err = capsys.readouterr().err
    line = next(
        n for n, t in enumerate(FSS.read_text().splitlines(), 1) if t.startswith("A promotion")
    )
    assert f"{FSS}:{line}: not an item, left out: A promotion (Pilot → GA)" in err
    assert "section 17 'Continuous readiness' has no items" in err


def test_markdown_pipe_tables_keep_their_cells() -> None:
    doc = """# payments — SERVICE_READINESS

1. Readiness levels

| Level | Audience |
| --- | --- |
| L0 — Dev | engineers |
| L1 — GA | everyone |

2. API readiness

| # | Item | Status check | Evidence |
| --- | --- | --- | --- |
| A1 | OpenAPI committed | openapi/v1.yaml exists | repo |
| A2 | Idempotency applied | Idempotency.spec.ts | passes |
| A3 | Rate limits reviewed | API_CONTRACTS §11 | reviewed |
"""
    result = import_checklist(doc, "payments.md", required_from="L1")
    items = _items(result.checklist)
    assert [(i["id"], i["title"]) for i in items] == [
        ("A1", "OpenAPI committed"),
        ("A2", "Idempotency applied"),
        ("A3", "Rate limits reviewed"),
    ]
    assert items[0]["evidence"] == {"kind": "repo_files", "params": {"paths": ["openapi/v1.yaml"]}}
    assert items[1]["evidence"]["params"]["where"] == {"check": "idempotency"}
    assert "review" in items[2]
    assert result.checklist["levels"] == [
        {"id": "L0", "name": "Dev", "description": "engineers"},
        {"id": "L1", "name": "GA", "description": "everyone"},
    ]
    assert yaml.safe_load(result.yaml("payments.md"))["checklist"] == "payments-readiness"


def test_a_document_without_items_fails_and_says_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "notes.md"
    empty.write_text("Some notes\n\nnothing that looks like a checklist\n")
    assert main(["import-checklist", str(empty)]) == 1
    assert "no checklist items found" in capsys.readouterr().err
    assert main(["import-checklist", str(tmp_path / "missing.md")]) == 1
    assert "cannot read" in capsys.readouterr().err

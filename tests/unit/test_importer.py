"""``readiness import-checklist`` on both seeds and on the table styles a team might paste."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from readiness.authoring.importer import ImportResult, import_checklist, import_file
from readiness.cli.main import main
from readiness.spec.loader import parse_checklist

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
    # the check is named as the document names it, not made up
    assert d4["evidence"]["params"]["where"] == {"check": "tenant-isolation.spec.ts"}


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
    a7 = next(i for i in _items(result.checklist) if i["id"] == "A7")
    assert a7["evidence"] == {"kind": "attestation", "params": {"roles": ["Service owner"]}}
    assert a7["review"].startswith("no collector for 'API_CONTRACTS §11")
    a4 = next(i for i in _items(result.checklist) if i["id"] == "A4")
    assert a4["evidence"]["params"]["where"] == {"check": "TenantContextGuard.spec.ts"}
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
    assert items[1]["evidence"]["params"]["where"] == {"check": "Idempotency.spec.ts"}
    assert "review" in items[2]
    assert result.checklist["levels"] == [
        # the header names the attribute columns
        {
            "id": "L0",
            "name": "Dev",
            "description": "engineers",
            "attributes": {"audience": "engineers"},
        },
        {
            "id": "L1",
            "name": "GA",
            "description": "everyone",
            "attributes": {"audience": "everyone"},
        },
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


def _by_id(result: ImportResult) -> dict[str, dict]:
    return {i["id"]: i for i in _items(result.checklist)}


def test_existing_collectors_are_recognised_and_guesses_marked() -> None:
    items = _by_id(import_file(FSS))
    # O1 "curl returns 200" is a health probe of both endpoints, at most a day old
    assert items["O1"]["evidence"] == {
        "kind": "http_probe",
        "params": {"urls": ["${locations.base_url}/healthz", "${locations.base_url}/readyz"]},
    }
    assert items["O1"]["max_age"] == "1d"
    # CO4 "bucket lock" and DA7 "shows CMEK" are bucket settings; which bucket is a guess
    assert items["CO4"]["evidence"]["kind"] == "bucket_settings"
    assert items["CO4"]["expectations"] == [
        {"expect_column_values_to_be_in_set": {"column": "retention_locked", "value_set": [True]}}
    ]
    assert items["DA7"]["expectations"] == [
        {"expect_column_values_to_not_be_null": {"column": "default_kms_key"}}
    ]
    assert "which bucket" in items["CO4"]["review"]
    assert items["T1"]["evidence"]["kind"] == "coverage_report"
    # percent, as coverage_report's lines_pct is (a fraction here could never pass)
    assert items["T1"]["expectations"][0]["expect_column_values_to_be_between"] == {
        "column": "lines_pct",
        "min_value": 85.0,
    }


def test_a_row_naming_several_specs_checks_each_of_them() -> None:
    e2 = _by_id(import_file(FSS))["E2"]
    assert e2["evidence"]["params"]["where"] == {"check": ["outbox.spec.ts", "inbox.spec.ts"]}
    assert {"expect_table_row_count_to_be_between": {"min_value": 2}} in e2["expectations"]


def test_cadences_and_roles_in_the_text_are_read() -> None:
    doc = """# billing — SERVICE_READINESS

1. Readiness levels

| Level | Audience |
| --- | --- |
| L0 — Dev | engineers |
| L1 — GA | everyone |

2. Recovery

| # | Item | Status check | Evidence |
| --- | --- | --- | --- |
| R1 | Restore drill into staging | weekly restore drill | drill report |
| R2 | DR failover drill | within 90 days | drill report |
| R3 | Pricing reviewed | approved by product owner | review |
"""
    items = _by_id(import_checklist(doc, "billing.md", required_from="L0"))
    assert items["R1"]["evidence"]["params"]["where"] == {"kind": "backup_restore"}
    assert items["R1"]["max_age"] == "8d"
    assert items["R2"]["evidence"]["params"]["where"] == {"kind": "dr_failover"}
    assert items["R2"]["max_age"] == "90d"
    assert items["R3"]["evidence"] == {
        "kind": "attestation",
        "params": {"roles": ["Product owner"]},
    }
    assert "review" not in items["R3"]


def test_html_tables_keep_their_cells() -> None:
    doc = """<html><body><h1>payments — SERVICE_READINESS</h1>
<h2>1. Readiness levels</h2>
<table><tr><th>Level</th><th>Audience</th></tr>
<tr><td>L0 — Dev</td><td>engineers</td></tr><tr><td>L1 — GA</td><td>everyone</td></tr></table>
<h2>2. API readiness</h2>
<table><tr><th>#</th><th>Item</th><th>Status check</th><th>Evidence</th></tr>
<tr><td>A1</td><td>Idempotency applied</td><td>Idempotency.spec.ts</td><td>passes</td></tr>
<tr><td>A2</td><td>/healthz implemented</td><td>curl returns 200</td><td>check</td></tr>
</table></body></html>"""
    result = import_checklist(doc, "payments.html", required_from="L1")
    items = _by_id(result)
    assert [lv["id"] for lv in result.checklist["levels"]] == ["L0", "L1"]
    assert items["A1"]["title"] == "Idempotency applied"
    assert items["A1"]["evidence"]["params"]["where"] == {"check": "Idempotency.spec.ts"}
    assert items["A2"]["evidence"]["kind"] == "http_probe"


def test_levels_left_empty_are_flagged_loudly(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    result = import_file(FSS)
    assert result.empty_levels == ["L0", "L1"]
    assert "# review: no item is required from L0, L1" in result.yaml("004.txt")
    assert main(["import-checklist", str(FSS), "-o", str(tmp_path / "x.yaml")]) == 0
    assert "WARNING: no item is required from L0, L1" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("seed", "shipped", "collector", "max_age"),
    [
        ("004_c8fe06fd7f8cf8f4.txt", "file-storage-readiness.yaml", 0.80, 0.85),
        ("000_ef73124d4c892e6d.txt", "maintenance-cutover.yaml", 0.60, 0.70),
    ],
)
def test_imports_agree_with_the_hand_made_checklists(
    tmp_path: Path, seed: str, shipped: str, collector: float, max_age: float
) -> None:
    """The figures bench/importer_agreement.py prints, held as floors: measured 82 % / 89 %
    (seed 004) and 64 % / 71 % (seed 000) when these were set; 52 % / 60 % and 26 % / 48 %
    before the importer read collectors, spec names and cadences from the text."""
    from readiness.authoring.importer import agreement

    root = Path(__file__).resolve().parents[2]
    out = tmp_path / "imported.yaml"
    out.write_text(import_file(root / "docs" / "seeds" / seed).yaml(seed))
    imported, problems = parse_checklist(out)
    reference, _ = parse_checklist(root / "checklists" / shipped)
    assert imported is not None and reference is not None, problems
    measured = agreement(imported, reference)
    assert measured.collector_share >= collector, measured
    assert measured.max_age_share >= max_age, measured


def test_a_further_document_of_the_seed_style_imports_usably() -> None:
    """A document written after the importer, in seed 004's copied-from-a-page style: the
    level table's run-together attributes, an acronym run into the next cell, several specs
    in one row, a cadence run into the evidence cell, a role named in the text."""
    result = import_file(Path(__file__).parent / "testdata" / "notification-service-readiness.txt")
    levels = {lv["id"]: lv for lv in result.checklist["levels"]}
    assert levels["L0"]["attributes"] == {
        "audience": "engineers, integration tests",
        "stable_allowed": "no",
        "slo_published": "n/a",
        "on_call": "no",
    }
    assert levels["L2"]["attributes"]["on_call"] == "yes (24×5)"
    items = _by_id(result)
    assert items["N1"]["max_age"] == "30d"  # "within 30 daysdrill report"
    assert items["N2"]["evidence"]["params"]["where"] == {"check": "prune-tokens.spec.ts"}
    assert items["N2"]["max_age"] == "1d"  # "pruned nightly"
    assert items["N4"]["evidence"]["params"]["where"] == {
        "check": ["WebhookSignature.spec.ts", "ReplayGuard.spec.ts"]
    }
    assert items["N5"]["evidence"]["kind"] == "http_probe"
    assert items["N6"]["evidence"]["kind"] == "slo_budget"
    assert items["N7"]["evidence"]["kind"] == "bucket_settings"
    assert items["N8"]["title"] == "Privacy review approved by the DPO"
    assert items["N8"]["evidence"] == {"kind": "attestation", "params": {"roles": ["DPO"]}}
    assert result.empty_levels == ["L0", "L1"]


def test_a_property_and_its_target_run_together_are_split() -> None:
    """Seed 004 §16 ``Backups verifiedweekly restore drill into staging``: the title and
    its check ran together, and the cadence was lost (max_age 180d)."""
    items = {i["title"]: i for i in _items(import_file(FSS).checklist)}
    backups = items["Backups verified"]
    assert backups["check"] == "weekly restore drill into staging"
    assert backups["max_age"] == "8d"
    assert items["RTO (regional)"]["check"] == "30 min"

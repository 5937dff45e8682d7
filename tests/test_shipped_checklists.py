"""Both seed documents ship complete, and `readiness check` accepts them."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import ROOT, SEEDS
from readiness.cli.main import main
from readiness.spec.loader import parse_checklist


def seed_004_ids() -> list[str]:
    text = (SEEDS / "004_c8fe06fd7f8cf8f4.txt").read_text()
    return re.findall(r"^([A-Z]{1,2}\d+)(?=\S)", text, flags=re.MULTILINE)


def test_every_seed_004_id_is_in_the_checklist() -> None:
    ids = seed_004_ids()
    assert len(ids) == 82 and ids[0] == "D1" and ids[-1] == "DC5"
    checklist, problems = parse_checklist(ROOT / "checklists/file-storage-readiness.yaml")
    assert problems == [] and checklist is not None
    shipped = {item.id for item in checklist.items}
    assert set(ids) <= shipped
    roles = {
        role
        for item in checklist.items
        if item.section == "signoffs"
        for role in item.evidence.params["roles"]
    }
    assert roles == {
        "Service tech lead",
        "Database reviewer",
        "Security reviewer",
        "SRE / on-call lead",
        "Product owner",
        "Compliance / DPO",
        "Platform architecture",
    }
    assert len([i for i in checklist.items if i.section == "ga_exit"]) == 5
    assert len([i for i in checklist.items if i.section == "recovery"]) == 5
    assert [lv.id for lv in checklist.levels] == ["L0", "L1", "L2", "L3", "L4"]


def test_seed_000_items_and_signoffs() -> None:
    text = (SEEDS / "000_ef73124d4c892e6d.txt").read_text()
    sections = re.split(r"\n\s*\d+\. [A-Z]", text)[1:]
    bullets = [
        len(
            [
                ln
                for ln in s.splitlines()
                if ln.startswith("  • ") and not ln.startswith("  • Sign-off")
            ]
        )
        for s in sections
    ]
    signoffs = text.count("Sign-off:")
    checklist, problems = parse_checklist(ROOT / "checklists/maintenance-cutover.yaml")
    assert problems == [] and checklist is not None
    regular = [i for i in checklist.items if not i.id.endswith("-SO") and i.section != "cutover"]
    assert sum(bullets) == 100 == len(regular)
    assert [len([i for i in s.items if i in regular]) for s in checklist.sections[:14]] == bullets
    assert len([i for i in checklist.items if i.id.endswith("-SO")]) == signoffs == 14
    cut = checklist.item("CUT1")
    assert len(cut.evidence.params["roles"]) == 5


def test_check_passes_on_shipped_files(readiness_env: Path, capsys) -> None:
    assert main(["check"]) == 0
    out = capsys.readouterr().out
    assert "file-storage-readiness: 99 items" in out and "maintenance-cutover: 116 items" in out


def test_check_fails_with_named_errors_on_broken_files(
    readiness_env: Path, tmp_path: Path, capsys
) -> None:
    broken = tmp_path / "broken.yaml"
    text = (ROOT / "checklists/file-storage-readiness.yaml").read_text()
    broken.write_text(
        text.replace(
            "expect_column_values_to_be_in_set: {column: outcome",
            "expect_column_values_to_be_in_sett: {column: outcome",
            1,
        ).replace("required_from: L4", "required_from: L5", 1)
    )
    assert main(["check", "--no-gx", str(broken)]) == 1
    out = capsys.readouterr().out
    assert "expect_column_values_to_be_in_sett" in out and "unknown expectation" in out
    assert "'L5' does not exist" in out


def test_check_reports_gx_argument_errors(readiness_env: Path, tmp_path: Path, capsys) -> None:
    broken = tmp_path / "gx.yaml"
    broken.write_text(
        (ROOT / "checklists/file-storage-readiness.yaml")
        .read_text()
        .replace(
            "{column: budget_remaining, min_value: 0.5}",
            "{column: budget_remaining, min_value: 0.5, bogus: 1}",
        )
    )
    assert main(["check", str(broken)]) == 1
    out = capsys.readouterr().out
    assert "expectations[0]" in out and "bogus" in out

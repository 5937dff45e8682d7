"""Every collector's DEFINITION.md says what the code does: its front matter matches the
collector's declarations and ``Params``, its parameter table lists the same names, and
docs/collectors.md is the one generated from them."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from readiness.collectors import KINDS, get_collector
from readiness.collectors.definition import read_definition

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_the_front_matter_is_the_collectors_declaration(kind: str) -> None:
    collector = get_collector(kind)
    definition = read_definition(kind)
    declared = (collector.kind, collector.source, collector.outage, collector.recorded)
    assert (definition.kind, definition.source, definition.outage, definition.recorded) == (
        declared
    )
    fields = {name: f.is_required() for name, f in collector.Params.model_fields.items()}
    assert definition.params == fields


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_the_parameter_table_lists_the_params(kind: str) -> None:
    text = read_definition(kind).path.read_text()
    table = text.split("## Parameters", 1)[1].split("\n## ", 1)[0]
    names = set(re.findall(r"^\| `(\w+)` \|", table, re.M))
    assert names == set(read_definition(kind).params), kind


def test_a_definition_without_front_matter_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "odd").mkdir()
    (tmp_path / "odd" / "DEFINITION.md").write_text("# odd\n")
    with pytest.raises(ValueError, match=r"odd/DEFINITION.md: expected YAML front matter"):
        read_definition("odd", tmp_path)


def test_docs_collectors_md_is_generated_from_the_definitions() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "collectors_doc.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_each_collector_recognises_its_own_items_in_a_documents_words() -> None:
    from readiness.collectors.recognise import Wording, recognise, recognisers

    assert len(recognisers()) >= 16
    guesses = {
        "GET /healthz returns 200": "http_probe",
        "Error budget at least 50% unburned": "slo_budget",
        "Bucket retention lock on the archive": "bucket_settings",
        "Quarterly DR failover drill": "document",
        "No TODO markers (grep)": "repo_grep",
        "Something nobody can collect": "attestation",
    }
    for title, kind in guesses.items():
        guess = recognise(Wording(id=None, title=title))
        assert guess is not None and guess[0]["evidence"]["kind"] == kind, title

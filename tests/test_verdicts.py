"""Signed, hash-chained verdicts on both history backends (DuckDB, and BigQuery through the
official client against the emulator): ``readiness verify`` holds on untouched history,
re-derives every run from the evidence archive, and catches each way of editing history
an insider with write access has, naming the first broken record.

The history is built once per backend (three days of the story, and a re-run of the
second); each tampering test undoes its edit, and deleting a run, which cannot be undone,
comes last."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from readiness.audit.verify import VerifyReport, rederive_with, verify
from readiness.history import HistoryStore, RunMeta, history_for
from readiness.pipeline.engine import evaluate
from readiness.pipeline.verdicts import evidence_archive, keyring
from readiness.spec.config import Settings
from readiness.testing import tampering

ROOT = Path(__file__).resolve().parents[1]
FSS, MNT = "file-storage-service", "maintenance-service"
DAYS = [datetime(2026, 11, d, 6, tzinfo=UTC) for d in (20, 27, 28)]


@dataclass
class Sealed:
    settings: Settings
    history: HistoryStore
    folder: Path

    def verify(self, service: str = FSS, rederive: bool = False) -> VerifyReport:
        return verify(
            self.history,
            keyring(self.settings),
            service=service,
            archive=evidence_archive(self.settings),
            rederive=rederive_with() if rederive else None,
        )


@pytest.fixture(scope="module", params=["duckdb", "bigquery"])
def sealed(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Sealed:
    folder = tmp_path_factory.mktemp(f"verdicts-{request.param}")
    history = f"duckdb://{folder}/history.duckdb"
    endpoint = ""
    if request.param == "bigquery":
        from readiness.testing.emulators import PROJECT

        endpoint = request.getfixturevalue("bigquery_emulator")
        history = f"bigquery://{PROJECT}/verdicts_{uuid.uuid4().hex[:8]}"
    settings = Settings(
        project_root=ROOT,
        history=history,
        bigquery_endpoint=endpoint,
        history_timeout_s=30,
        outbox=str(folder / "outbox"),
        collect_workers=1,
        evidence_root="samples/evidence",
        exemptions_root="samples/exemptions",
        verdict_key=str(folder / "verdict-key.pem"),
        verdict_keyring=str(folder / "verdict-keyring.json"),
        evidence_archive=str(folder / "evidence-archive"),
        verdict_archive=str(folder / "verdict-archive"),
    )
    for n, day in enumerate(DAYS, start=1):
        evaluate(settings, as_of=day, meta=RunMeta(run_key=f"d{n}"))
    # the same run again (an Airflow retry, a re-run): its rows are replaced, and its
    # verdict superseded by a new link at the chain's head
    rerun = evaluate(settings, as_of=DAYS[1], meta=RunMeta(run_key="d2"))
    assert [v.reference.split(" ")[0] for v in rerun.verdicts] == [f"{FSS}#4", f"{MNT}#4"]
    return Sealed(settings, history_for(settings), folder)


def _first(report: VerifyReport) -> str:
    assert not report.ok, "verify found nothing"
    return str(report.broken[0])


def test_untouched_history_verifies_and_rederives_from_the_archive(sealed: Sealed) -> None:
    report = sealed.verify(service="", rederive=True)
    assert report.ok, [str(b) for b in report.broken]
    assert report.services == {FSS: 4, MNT: 4}
    assert report.runs == 6 and report.rederived == 6  # d2's re-run replaced d2
    chain = sealed.history.verdicts(FSS)
    assert [v.sequence for v in chain] == [1, 2, 3, 4]
    assert [v.previous for v in chain[1:]] == [v.sha256 for v in chain[:-1]]
    assert chain[3].run_id == chain[1].run_id and chain[3].supersedes == chain[1].sha256
    assert len(report.keys) == 1  # one key, one signature per run
    files = sorted((sealed.folder / "verdict-archive" / FSS).iterdir())
    assert [f.name[:8] for f in files] == ["00000001", "00000002", "00000003", "00000004"]


def test_the_gate_as_of_a_moment_answers_from_the_chain_with_its_verdict(
    sealed: Sealed, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from readiness.cli.main import main

    _environment(sealed.settings, monkeypatch)
    chain = sealed.history.verdicts(FSS)
    assert main(["gate", FSS, "--level", "L2", "--as-of", "2026-11-20T07:00:00Z"]) == 0
    assert f"verdict: {chain[0].reference}" in capsys.readouterr().out
    # as of the 27th the chain's verdict in force is d2's re-run, the latest signed for it
    assert main(["gate", FSS, "--level", "L3", "--as-of", "2026-11-27T07:00:00Z"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("no: ") and f"verdict: {chain[3].reference}" in out
    assert main(["gate", FSS, "--level", "L2", "--as-of", "2026-11-19T07:00:00Z"]) == 2


def _environment(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI reads the same settings from the environment."""
    monkeypatch.setenv("READINESS_HOME", str(ROOT))
    for name in (
        "history",
        "bigquery_endpoint",
        "outbox",
        "verdict_key",
        "verdict_keyring",
        "evidence_archive",
    ):
        monkeypatch.setenv(f"READINESS_{name.upper()}", str(getattr(settings, name)))


def test_an_edited_item_row_is_caught_and_named(sealed: Sealed) -> None:
    run = f"{FSS}@d3"
    failing, undo = tampering.edit_item(sealed.history, run)
    try:
        first = _first(sealed.verify())
        assert first == (
            f"run {run} (verdict {FSS}#3): history: item_results {failing}.status is 'pass', "
            "the verdict says 'fail'"
        )
        # the gate does not take edited history's word for it either
        from readiness.audit.gate import UNKNOWN, decide
        from readiness.spec.loader import load_catalog

        settings = sealed.settings
        catalog = load_catalog(settings.checklist_paths, settings.service_paths)
        effective = "UPDATE {dataset}.item_results SET effective_status = 'pass' "
        sealed.history.select(effective + "WHERE run_id = @r AND item_id = @i", r=run, i=failing)
        gate = decide(
            catalog, sealed.history, FSS, "L2", DAYS[2], timedelta(days=2), keyring(settings)
        )
        assert gate.answer == UNKNOWN and f"signed verdict {FSS}#3" in gate.reason, gate.reason
        sealed.history.select(
            "UPDATE {dataset}.item_results SET effective_status = 'fail' "
            "WHERE run_id = @r AND item_id = @i",
            r=run,
            i=failing,
        )
    finally:
        undo()
    assert sealed.verify().ok


def test_two_reordered_verdicts_are_caught(sealed: Sealed) -> None:
    undo = tampering.reorder(sealed.history, FSS, 2, 3)
    try:
        first = _first(sealed.verify())
        assert first.startswith(f"verdict {FSS}#2: signature: the row says sequence 2, its ")
        assert "signed verdict says 3" in first
    finally:
        undo()
    assert sealed.verify().ok


def test_a_swapped_archived_evidence_file_is_caught_on_rederive(sealed: Sealed) -> None:
    archive = sealed.folder / "evidence-archive"
    # the evidence "never said" it: the record's rows are gone
    item_id, undo = tampering.swap_archived(sealed.history, archive, FSS, 3)
    digest = next(
        i["evidence"]["archived"]
        for i in tampering.predicate(sealed.history, FSS, 3)["items"]
        if i["id"] == item_id
    )
    try:
        assert sealed.verify().ok  # the signed history itself is intact …
        report = sealed.verify(rederive=True)  # … the archive is not
        first = _first(report)
        # content-addressed: every run that scored the same record names it (d2's re-run too)
        assert re.match(rf"run {FSS}@d\d: rederive: {item_id}: ", first)
        assert f"run {FSS}@d3" in {b.record for b in report.broken}
        assert f"sha256/{digest[:2]}/{digest} holds bytes whose sha256 is" in first
        assert first.endswith("swapped or corrupted")
    finally:
        undo()
    assert sealed.verify(rederive=True).ok


def test_a_verdict_resigned_with_an_unknown_key_is_caught(sealed: Sealed) -> None:
    # what the insider wants it to say: L3
    intruder, undo = tampering.resign(sealed.history, FSS, 3, level="L3")
    try:
        first = _first(sealed.verify())
        assert first == (
            f"verdict {FSS}#3: signature: signed by key {intruder[:16]}, which is not "
            "in the keyring"
        )
    finally:
        undo()
    assert sealed.verify().ok


def test_the_offline_recipe_checks_the_exported_chain_without_this_project(
    sealed: Sealed, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """docs/audit.md's recipe, run as written, on what `readiness verify --export` wrote."""
    from readiness.cli.main import main

    _environment(sealed.settings, monkeypatch)
    chain = tmp_path / "chain.jsonl"
    assert main(["verify", FSS, "--export", str(chain)]) == 0
    text = (ROOT / "docs" / "audit.md").read_text()
    recipe = re.search(r"```python\n(.*?)```", text, flags=re.S)
    assert recipe is not None
    code = recipe.group(1)
    assert "readiness" not in re.findall(r"^\s*(?:from|import)\s+(\w+)", code, flags=re.M)
    script = tmp_path / "verify_offline.py"
    script.write_text(code)
    keys = Path(sealed.settings.verdict_keyring)
    done = subprocess.run(
        [sys.executable, "-I", str(script), str(chain), str(keys)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1].startswith(f"ok: 4 verdicts of {FSS}, chain intact")
    lines = chain.read_text().splitlines()
    lines[1], lines[2] = lines[2], lines[1]
    chain.write_text("\n".join(lines) + "\n")
    done = subprocess.run(
        [sys.executable, "-I", str(script), str(chain), str(keys)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 1 and "BROKEN" in done.stdout


def test_the_oscal_export_carries_the_verdict_and_its_envelope(sealed: Sealed) -> None:
    from readiness.audit.oscal import assessment_results, validate

    document = assessment_results(sealed.history, FSS, "d3")
    assert validate(document) == []
    body = document["assessment-results"]
    resource = body["back-matter"]["resources"][-1]
    props = {p["name"]: p["value"] for p in resource["props"]}
    verdict = sealed.history.run_verdict(FSS, f"{FSS}@d3")
    assert verdict is not None and props["verdict-sha256"] == verdict.sha256
    envelope = json.loads(base64.b64decode(resource["base64"]["value"]))
    assert keyring(sealed.settings).verify(envelope)[1] == verdict.key_id
    result_props = {p["name"]: p["value"] for p in body["results"][0]["props"]}
    assert result_props["verdict-sha256"] == verdict.sha256


def test_a_deleted_run_breaks_the_chain(sealed: Sealed) -> None:
    """Last: a deleted verdict cannot be put back (that is the point)."""
    tampering.delete_run(sealed.history, f"{FSS}@d3")
    first = _first(sealed.verify())
    assert first == f"verdict {FSS}#4: chain: #3 missing: the chain goes from #2 to here"
    # the other service's chain is untouched
    assert sealed.verify(service=MNT).ok

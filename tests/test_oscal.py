"""OSCAL export of an evaluation from history, validated against NIST's OSCAL model of
assessment results (compliance-trestle)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from readiness.audit.oscal import NotEvaluated, assessment_results, validate
from readiness.cli.main import main
from readiness.history import RunMeta, history_for
from readiness.pipeline.engine import evaluate
from readiness.spec.config import Settings
from readiness.support.timeutil import parse_timestamp

ROOT = Path(__file__).resolve().parents[1]
FSS = "file-storage-service"


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    tmp = tmp_path_factory.mktemp("oscal")
    settings = Settings(
        project_root=ROOT,
        history=f"duckdb://{tmp}/history.duckdb",
        outbox=str(tmp / "outbox"),
        collect_workers=1,
    )
    for day in ("2026-11-20", "2026-11-27"):
        evaluate(
            settings,
            services=[FSS],
            as_of=parse_timestamp(f"{day}T06:00:00Z"),
            meta=RunMeta(run_key=day),
        )
    return settings


def _result(document: dict[str, Any]) -> dict[str, Any]:
    return document["assessment-results"]["results"][0]


def test_the_latest_evaluation_exports_as_valid_assessment_results(evaluated: Settings) -> None:
    history = history_for(evaluated)
    document = assessment_results(history, FSS)
    assert validate(document) == []
    result = _result(document)
    items = history.query(
        "SELECT item_id, effective_status, evidence_uri, evidence_sha256, waiver "
        "FROM readiness.item_results WHERE run_id = $run_id",
        {"run_id": f"{FSS}@2026-11-27"},
    )
    assert result["title"] == f"Readiness evaluation {FSS}@2026-11-27"
    assert len(result["findings"]) == len(items) == len(result["observations"])
    selected = result["reviewed-controls"]["control-selections"][0]["include-controls"]
    assert {c["control-id"] for c in selected} == {r["item_id"] for r in items}
    # findings: satisfied / not-satisfied with the item status as the reason
    states = {f["target"]["target-id"]: f["target"]["status"] for f in result["findings"]}
    by_item = {r["item_id"]: r for r in items}
    for item_id, status in states.items():
        expected = by_item[item_id]["effective_status"]
        assert status["reason"] == expected
        assert status["state"] == (
            "satisfied" if expected in ("pass", "not_applicable") else "not-satisfied"
        )
    assert states["RP3"] == {"state": "not-satisfied", "reason": "stale"}
    # observations carry collected / expires and the evidence's href + sha256
    rp3 = next(o for o in result["observations"] if o["title"].startswith("RP3 "))
    assert rp3["collected"] and rp3["methods"] == ["TEST"]
    [evidence] = rp3["relevant-evidence"]
    assert evidence["href"] == by_item["RP3"]["evidence_uri"]
    sha = {p["name"]: p["value"] for p in evidence["props"]}["evidence-sha256"]
    assert sha == by_item["RP3"]["evidence_sha256"]
    resources = document["assessment-results"]["back-matter"]["resources"]
    hashes = {
        r["rlinks"][0]["href"]: r["rlinks"][0]["hashes"][0]["value"]
        for r in resources
        if "rlinks" in r
    }
    assert hashes[evidence["href"]] == sha
    signed = next(o for o in result["observations"] if o["title"].startswith("SO1 "))
    assert signed["methods"] == ["EXAMINE"] and "expires" in signed
    # the waiver is an accepted risk, linked from its finding
    waived = [r["item_id"] for r in items if r["waiver"]]
    assert waived == ["S8"]
    [risk] = result["risks"]
    assert risk["status"] == "deviation-approved"
    assert "security-lead@example.com" in risk["statement"] and "2026-12-15" in risk["statement"]
    s8 = next(f for f in result["findings"] if f["target"]["target-id"] == "S8")
    assert s8["related-risks"] == [{"risk-uuid": risk["uuid"]}]
    assert s8["target"]["status"] == {"state": "not-satisfied", "reason": "waived"}


def test_the_same_run_exports_the_same_document(evaluated: Settings) -> None:
    history = history_for(evaluated)
    first = assessment_results(history, FSS, f"{FSS}@2026-11-20")
    assert first == assessment_results(history, FSS, f"{FSS}@2026-11-20")
    assert first != assessment_results(history, FSS)
    assert (
        _result(first)["findings"][0]["uuid"]
        != _result(assessment_results(history, FSS))["findings"][0]["uuid"]
    )


def test_validation_names_what_is_missing_or_not_allowed(evaluated: Settings) -> None:
    document = assessment_results(history_for(evaluated), FSS)
    broken = copy.deepcopy(document)
    del broken["assessment-results"]["metadata"]["oscal-version"]
    _result(broken)["findings"][0]["target"]["status"]["state"] = "passed"
    _result(broken)["observations"][0]["methods"] = []
    problems = validate(broken)
    assert "assessment-results/metadata/oscal-version: Field required" in problems
    assert any(
        p.startswith("assessment-results/results/0/findings/0/target/status/state: Input should")
        and "'satisfied' or 'not-satisfied'" in p
        for p in problems
    ), problems
    assert any(
        p.startswith("assessment-results/results/0/observations/0/methods:") for p in problems
    )


def test_oscal_command(
    evaluated: Settings,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("READINESS_HOME", str(ROOT))
    monkeypatch.setenv("READINESS_HISTORY", evaluated.history)
    out = tmp_path / "sar.json"
    assert main(["oscal", FSS, "-o", str(out)]) == 0
    assert "accepted risks (OSCAL 1.2.1)" in capsys.readouterr().err
    assert validate(json.loads(out.read_text())) == []
    assert main(["oscal", "maintenance-service"]) == 1
    assert "maintenance-service has never been evaluated" in capsys.readouterr().err
    with pytest.raises(NotEvaluated):
        assessment_results(history_for(evaluated), FSS, "nope")


def test_run_id_means_the_run_key_as_for_evaluate_and_the_full_id_works_too(
    evaluated: Settings,
) -> None:
    history = history_for(evaluated)
    by_key = assessment_results(history, FSS, "2026-11-20")
    by_full = assessment_results(history, FSS, f"{FSS}@2026-11-20")
    assert (
        _result(by_key)["title"]
        == _result(by_full)["title"]
        == (f"Readiness evaluation {FSS}@2026-11-20")
    )
    with pytest.raises(NotEvaluated) as missed:
        assessment_results(history, FSS, "d3")
    # the message shows the form that would have matched
    assert f"the latest is '2026-11-27' (run id '{FSS}@2026-11-27')" in str(missed.value)


def test_a_request_nobody_granted_shows_as_requested_in_the_report_and_oscal(
    tmp_path: Path,
) -> None:
    """The issue's self-granted waivers, as a spec writes them: the items stay failing, and
    the quarterly report and the OSCAL export (still valid) say the exemption is requested."""
    import shutil
    from datetime import UTC, datetime

    import yaml

    from readiness.audit.reports.quarterly import build_quarter_report
    from readiness.audit.reports.render import render_markdown

    shutil.copytree(ROOT / "services", tmp_path / "services")
    path = tmp_path / "services" / "maintenance-service.yaml"
    spec = yaml.safe_load(path.read_text())
    spec["waivers"] = [
        {"item": i, "reason": "we say so", "approver": "me", "expires": "2999-12-31"}
        for i in ("SEC3", "CAP2")
    ]
    path.write_text(yaml.safe_dump(spec))
    settings = Settings(
        project_root=ROOT,
        services=[str(path)],
        history=f"duckdb://{tmp_path}/history.duckdb",
        outbox=str(tmp_path / "outbox"),
        collect_workers=1,
    )
    as_of = datetime(2026, 11, 20, 6, tzinfo=UTC)
    (ev,) = evaluate(settings, as_of=as_of, meta=RunMeta("r")).evaluations
    sec3 = next(r for r in ev.items if r.item.id == "SEC3")
    assert sec3.effective_status.value == "fail" and sec3.exemption["state"] == "requested"  # type: ignore[index]
    history = history_for(settings)
    snapshot = history.snapshot("maintenance-service")
    assert snapshot is not None
    assert sorted(
        e["request"]["item"] for e in snapshot.exemptions if e["state"] == "requested"
    ) == [
        "CAP2",
        "SEC3",
    ]
    markdown = render_markdown(build_quarter_report(history, "2026Q4", now=as_of.replace(hour=7)))
    assert "### Exemptions" in markdown and "| requested |" in markdown
    document = assessment_results(history, "maintenance-service")
    assert validate(document) == []
    risks = _result(document)["risks"]
    requested = [r for r in risks if r["status"] == "deviation-requested"]
    assert sorted(r["title"].split(": ")[1].split()[0] for r in requested) == ["CAP2", "SEC3"]
    assert all("not granted" in r["statement"] for r in requested)

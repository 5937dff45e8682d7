"""Pre-lapse notices through a real evaluation and the real outbox: filed once, a week
before a lapse below target; closed as renewed when the evidence is renewed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from readiness.cli.main import main
from readiness.trackers.outbox.tracker import OutboxTracker

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "project"
    shutil.copytree(ROOT / "docs" / "onboarding", folder)
    monkeypatch.chdir(folder)
    monkeypatch.setenv("READINESS_HOME", str(folder))
    for name in ("READINESS_EVIDENCE_ROOT", "READINESS_HISTORY", "READINESS_OUTBOX"):
        monkeypatch.delenv(name, raising=False)
    return folder


def _notices(folder: Path) -> list[dict[str, object]]:
    issues = OutboxTracker(folder / "var" / "outbox").issues()
    return [i for i in issues if i["item_id"] == "lapse-notice"]


def test_a_notice_is_filed_once_and_closes_when_renewed(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["evaluate", "--as-of", "2027-03-03T06:00:00Z"]) == 0
    assert main(["evaluate", "--as-of", "2027-03-03T06:00:00Z"]) == 0  # a retry
    assert main(["evaluate", "--as-of", "2027-03-03T12:00:00Z"]) == 0  # a later run
    [notice] = _notices(project)
    assert notice["state"] == "open" and notice["due_date"] == "2027-03-06"
    # the team runs the drill that afternoon: the lapse is no longer forecast
    drill = project / "evidence" / "payments-service" / "drill_report" / "restore-2027-03-03.json"
    drill.write_text(
        json.dumps(
            {
                "kind": "backup_restore",
                "environment": "staging",
                "started_at": "2027-03-03T13:00:00Z",
                "finished_at": "2027-03-03T14:00:00Z",
                "outcome": "passed",
                "rto_minutes": 20,
                "rpo_minutes": 2,
            }
        )
    )
    capsys.readouterr()
    assert main(["evaluate", "--as-of", "2027-03-03T20:00:00Z"]) == 0
    assert f"closed {notice['issue_key']}" in capsys.readouterr().out
    [closed] = _notices(project)
    assert closed["state"] == "closed"
    comments = OutboxTracker(project / "var" / "outbox").comments(str(notice["issue_key"]))
    assert comments[-1].startswith("Renewed: as of 2027-03-03T20:00")


def test_no_notice_when_lapse_notice_days_is_zero(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with (project / "readiness.yaml").open("a") as settings:
        settings.write("lapse_notice_days: 0\n")
    assert main(["evaluate", "--as-of", "2027-03-03T06:00:00Z"]) == 0
    assert _notices(project) == []

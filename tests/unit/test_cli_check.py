"""``readiness check`` on the paths a new user gives it: a spec, a folder of specs, a folder
holding checklists and specs side by side; and its errors, one line each when piped."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from readiness.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "services" / "file-storage-service.yaml"


@pytest.fixture(autouse=True)
def _project(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("READINESS_HOME", str(ROOT))
    monkeypatch.chdir(ROOT)


def test_a_spec_checks_by_its_path(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--no-gx", str(SPEC)]) == 0
    out = capsys.readouterr().out
    assert "ok service file-storage-service: file-storage-readiness, target L3" in out
    assert "required field is missing" not in out


def test_a_folder_of_specs_checks(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--no-gx", str(ROOT / "services")]) == 0
    out = capsys.readouterr().out
    assert "ok service maintenance-service" in out and "problem" not in out


def test_checklists_and_specs_may_share_a_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for path in [*(ROOT / "checklists").glob("*.yaml"), *(ROOT / "services").glob("*.yaml")]:
        shutil.copy(path, tmp_path)
    assert main(["check", "--no-gx", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.count("ok checklist") == 2 and out.count("ok service") == 2


def test_a_spec_naming_a_missing_checklist_gets_that_error_on_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = tmp_path / "svc.yaml"
    spec.write_text(
        SPEC.read_text().replace("checklist: file-storage-readiness", "checklist: no-such-list")
    )
    assert main(["check", "--no-gx", str(spec)]) == 1
    lines = capsys.readouterr().out.splitlines()
    errors = [line for line in lines if line.startswith("error:")]
    # piped output never wraps: the file, the field and what was expected on one line
    assert errors == [
        f"error: {spec}: checklist: checklist 'no-such-list' does not exist; expected one of "
        "['file-storage-readiness', 'maintenance-cutover'] (line 12)"
    ]


def test_the_old_linear_team_key_still_works_with_a_deprecation_naming_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = tmp_path / "svc.yaml"
    spec.write_text(SPEC.read_text().replace("tracker_team: STO", "linear_team: STO"))
    assert main(["check", "--no-gx", str(spec)]) == 0
    out = capsys.readouterr().out
    assert f"deprecated: {spec}: linear_team is deprecated; rename it to tracker_team" in out
    assert "ok service file-storage-service" in out


def test_a_spec_without_a_tracker_team_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = tmp_path / "svc.yaml"
    spec.write_text(SPEC.read_text().replace("tracker_team: STO\n", ""))
    assert main(["check", "--no-gx", str(spec)]) == 1
    assert "tracker_team: required field is missing" in capsys.readouterr().out


def test_check_refuses_what_evaluate_would_a_repo_outside_the_roots(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A spec whose repo is /proc/self passed check, then errored on 15 items."""
    spec = tmp_path / "file-storage-service.yaml"
    spec.write_text(
        SPEC.read_text().replace("repo: samples/repos/file-storage-service", "repo: /proc/self")
    )
    assert "repo: /proc/self" in spec.read_text()
    assert main(["check", "--no-gx", str(spec)]) == 1
    out = capsys.readouterr().out
    assert "file-storage-service.yaml: repo: '/proc/self' is outside the repository roots" in out
    assert "ok service file-storage-service" not in out

"""docs/onboarding.md is executable: every file it shows is the file in docs/onboarding/,
and every command it shows, run in order on a copy of that folder, prints what the page
says it prints (and exits as it says)."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest

from readiness.cli.main import main

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "onboarding.md"
FILES = ROOT / "docs" / "onboarding"
_BLOCK = re.compile(r"^```(\w+)(?: title=\"([^\"]+)\")?\n(.*?)^```$", re.S | re.M)


def _blocks() -> list[tuple[str, str | None, str]]:
    return [(m.group(1), m.group(2), m.group(3)) for m in _BLOCK.finditer(PAGE.read_text())]


def test_every_file_the_page_shows_is_the_file_the_test_runs() -> None:
    shown = {title: body for _lang, title, body in _blocks() if title}
    assert len(shown) >= 9, shown.keys()
    for title, body in shown.items():
        assert (FILES / title).read_text() == body, title
    on_disk = {p.relative_to(FILES).as_posix() for p in FILES.rglob("*") if p.is_file()}
    assert on_disk == set(shown), "a file in docs/onboarding/ the page does not show"


def _unsigned(line: str) -> str:
    """A printed line with its digests as one token: each run signs with its own new key
    at its own moment, so a verdict's hash differs from the one on the page."""
    return re.sub(r"\b[0-9a-f]{12,64}\b", "<sha256>", line.rstrip())


def test_every_command_prints_what_the_page_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    project = tmp_path / "project"
    shutil.copytree(FILES, project)
    monkeypatch.chdir(project)
    monkeypatch.setenv("READINESS_HOME", str(project))
    for name in ("READINESS_EVIDENCE_ROOT", "READINESS_HISTORY", "READINESS_OUTBOX"):
        monkeypatch.delenv(name, raising=False)
    commands = [body for lang, _title, body in _blocks() if lang == "console"]
    assert len(commands) >= 7
    for body in commands:
        first, *expected = body.rstrip("\n").splitlines()
        code = 0
        if expected and (m := re.fullmatch(r"\[exit (\d+)\]", expected[-1])):
            code, expected = int(m.group(1)), expected[:-1]
        argv = shlex.split(first.removeprefix("$ readiness "))
        capsys.readouterr()
        assert main(argv) == code, first
        captured = capsys.readouterr()
        printed = (captured.out + captured.err).rstrip("\n").splitlines()
        assert [_unsigned(line) for line in printed] == [_unsigned(line) for line in expected], (
            first
        )
    outbox = project / "var" / "outbox" / "payments-service"
    notice = (outbox / "OUT-1-lapse-notice.md").read_text()
    assert "L1 lapses on 2027-03-06 unless renewed" in notice and "| B1 " in notice
    assert "state: **closed**" in notice and "The lapse happened" in notice
    assert "This lapse was forecast in `OUT-1`" in (outbox / "OUT-2-B1.md").read_text()

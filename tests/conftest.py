"""Shared fixtures: settings pointing at the shipped checklists and the story's sample
evidence (fixed dates), with history and outbox in a temporary folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from readiness.spec.config import Settings

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "docs" / "seeds"
#: The story (samples/README.md): a fixed snapshot the tests evaluate on fixed dates. The
#: embedded default's living feed (``samplefeed://``) is tested on its own, in a temporary
#: folder, so no test writes into the checkout's var/.
STORY = "samples/evidence"
STORY_GRANTS = "samples/exemptions"


@pytest.fixture(autouse=True)
def story_evidence(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test reads the story unless it sets an evidence root of its own."""
    monkeypatch.setenv("READINESS_EVIDENCE_ROOT", STORY)
    monkeypatch.setenv("READINESS_EXEMPTIONS_ROOT", STORY_GRANTS)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        project_root=ROOT,
        history=f"duckdb://{tmp_path}/history.duckdb",
        outbox=str(tmp_path / "outbox"),
        collect_workers=1,
    )


@pytest.fixture
def readiness_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Embedded defaults through ``READINESS_*`` variables (what the CLI and the DAG tasks
    read with ``load_settings()``), with history, outbox and reports in the test's folder."""
    monkeypatch.setenv("READINESS_HOME", str(ROOT))
    monkeypatch.setenv("READINESS_HISTORY", f"duckdb://{tmp_path}/history.duckdb")
    monkeypatch.setenv("READINESS_OUTBOX", str(tmp_path / "outbox"))
    monkeypatch.setenv("READINESS_REPORTS", str(tmp_path / "reports"))
    return tmp_path

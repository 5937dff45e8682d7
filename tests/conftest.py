"""Shared fixtures: settings pointing at the shipped checklists and sample evidence, with
history and outbox in a temporary folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from readiness.config import Settings

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "docs" / "seeds"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        project_root=ROOT,
        history=f"duckdb://{tmp_path}/history.duckdb",
        outbox=str(tmp_path / "outbox"),
        collect_workers=1,
    )


@pytest.fixture
def env_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The same, through READINESS_* variables (for CLI tests)."""
    monkeypatch.setenv("READINESS_HOME", str(ROOT))
    monkeypatch.setenv("READINESS_HISTORY", f"duckdb://{tmp_path}/history.duckdb")
    monkeypatch.setenv("READINESS_OUTBOX", str(tmp_path / "outbox"))
    return tmp_path

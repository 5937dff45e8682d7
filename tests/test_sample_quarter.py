"""The simulated quarter's evidence (``make quarter``) tells the story its README tells."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from readiness.pipeline.engine import evaluate
from readiness.spec.config import Settings
from readiness.support.timeutil import parse_timestamp

ROOT = Path(__file__).resolve().parents[1]


def _quarter_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("sample_quarter", ROOT / "samples" / "quarter.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["sample_quarter"] = module
    spec.loader.exec_module(module)
    return module


def test_the_sample_quarter_reaches_ga_and_skips_a_drill(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    quarter = _quarter_module()
    monkeypatch.setattr(quarter, "OUT", tmp_path)
    monkeypatch.setattr(quarter, "EVIDENCE", tmp_path / "evidence")
    for name in (
        "READINESS_HOME",
        "READINESS_EVIDENCE_ROOT",
        "READINESS_HISTORY",
        "READINESS_OUTBOX",
        "READINESS_REPORTS",
    ):
        monkeypatch.delenv(name, raising=False)
    quarter.prepare()
    settings = Settings(
        project_root=ROOT,
        evidence_root=str(tmp_path / "evidence"),
        history=f"duckdb://{tmp_path}/history.duckdb",
        collect_workers=1,
    )

    def level(day: str) -> dict[str, str]:
        report = evaluate(settings, as_of=parse_timestamp(f"{day}T05:00:00Z"), dry_run=True)
        return {e.service: e.achieved_level for e in report.evaluations}

    assert level("2026-12-18") == {"file-storage-service": "L3", "maintenance-service": "L1"}
    assert level("2026-12-22")["file-storage-service"] == "L1"  # the skipped restore drill
    assert level("2026-12-31")["file-storage-service"] == "L3"
    # the sample store itself is untouched
    assert not list((ROOT / "samples" / "evidence").rglob("*2026-12-05*"))

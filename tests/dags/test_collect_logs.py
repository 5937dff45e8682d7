"""What a collect task logs when its source is down: one line per cause naming every item
it hit, so an SRE reading the task log sees the outage, not a hundred copies of it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

from readiness.testing.emulators import free_port

MOMENT = datetime(2026, 11, 20, 6, tzinfo=UTC)


def test_an_unreachable_source_is_one_warning_naming_its_items(
    readiness_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from readiness_airflow import runtime

    monkeypatch.setenv("READINESS_EVIDENCE_ROOT", "gs://evidence-bucket/evidence")
    monkeypatch.setenv("READINESS_LIVE_SOURCES", "false")
    monkeypatch.setenv("READINESS_SOURCE_DEADLINE_S", "1")
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", f"http://127.0.0.1:{free_port()}")
    context = {"dag_run": SimpleNamespace(run_after=MOMENT), "logical_date": MOMENT}
    collected = runtime.collect_source("file-storage-service", "store", context, final_try=True)
    unreachable = sorted(k for k, v in collected.items() if v.get("transient"))
    assert len(unreachable) > 50  # every item the store holds
    # Airflow routes logging through structlog, which prints to stdout
    warnings = [line for line in capsys.readouterr().out.splitlines() if "[warning" in line]
    assert len(warnings) == 1, warnings[:3]
    (line,) = warnings
    assert "] file-storage-service store A1, A2, " in line
    assert all(item in line for item in unreachable)
    assert "gs://evidence-bucket/evidence" in line

"""The sample store served from Cloud Storage (gcp-storage-emulator): pointing
evidence_root at gs:// gives every item the status it gets from the local folder."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from readiness.cli.main import main

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples" / "evidence"


def _statuses(capsys: pytest.CaptureFixture[str], *args: str) -> dict[tuple[str, str], str]:
    capsys.readouterr()
    assert main(["evaluate", "--json", "--dry-run", "--as-of", "2026-11-20T06:00:00Z", *args]) == 0
    doc = json.loads(capsys.readouterr().out)
    return {(s["service"], i["item_id"]): i["status"] for s in doc["services"] for i in s["items"]}


def test_the_story_reads_the_same_from_gs(
    readiness_env: Path, gcs_client, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    local = _statuses(capsys)
    bucket = f"readiness-evidence-{uuid.uuid4().hex[:8]}"
    gcs_client.create_bucket(bucket)
    uploaded = 0
    for path in SAMPLES.rglob("*"):
        if path.is_file():
            name = f"evidence/{path.relative_to(SAMPLES).as_posix()}"
            gcs_client.bucket(bucket).blob(name).upload_from_filename(str(path))
            uploaded += 1
    assert uploaded > 50
    monkeypatch.setenv("READINESS_EVIDENCE_ROOT", f"gs://{bucket}/evidence")
    # recorded settings documents, as the embedded default: the emulator has none of the
    # services' real buckets or endpoints
    monkeypatch.setenv("READINESS_LIVE_SOURCES", "false")
    remote = _statuses(capsys)
    assert remote == local
    assert {"pass", "fail", "stale", "missing", "error", "waived"} <= set(remote.values())

"""The local evidence store keeps to its root and its byte limits: a link out of the root,
a link to a device, a document over the limit and a run over its budget each make the
item that reads them ``error`` naming why, and every other item still reads."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import pytest

from readiness.collectors.document.collector import COLLECTOR as DOCUMENTS
from readiness.domain.model import Evidence
from readiness.evidence.store import ObjectRefused, ReadLimits, open_store
from readiness.testing.collectors import request

DRILL = {
    "kind": "backup_restore",
    "environment": "staging",
    "started_at": "2026-11-16T13:00:00Z",
    "finished_at": "2026-11-16T14:00:00Z",
    "outcome": "passed",
    "rto_minutes": 18,
    "rpo_minutes": 2,
    "report_url": "https://drills.example.com/r",
}


def _store(tmp_path: Path) -> Path:
    root = tmp_path / "evidence" / "svc"
    (root / "drill_report").mkdir(parents=True)
    (root / "drill_report" / "good.json").write_text(json.dumps(DRILL))
    return root


def _read(root: Path, name: str, limits: ReadLimits | None = None) -> Evidence:
    store = open_store(str(root), limits=limits)
    params = {"document": "drill_report", "path": f"drill_report/{name}"}
    return DOCUMENTS.collect(replace(request(params, root), store=store))


def test_a_link_out_of_the_root_is_refused(tmp_path: Path) -> None:
    """The store followed a link out of its root and read the file outside."""
    root = _store(tmp_path)
    secret = tmp_path / "elsewhere.json"
    secret.write_text(json.dumps({**DRILL, "environment": "copied-from-outside"}))
    (root / "drill_report" / "borrowed.json").symlink_to(secret)
    ev = _read(root, "borrowed.json")
    assert ev.error is not None and not ev.transient
    assert "is a link out of" in ev.error and "copied-from-outside" not in repr(ev)
    assert _read(root, "good.json").found  # the rest of the store still reads


def test_a_link_inside_the_root_still_reads(tmp_path: Path) -> None:
    root = _store(tmp_path)
    (root / "drill_report" / "latest.json").symlink_to(root / "drill_report" / "good.json")
    assert _read(root, "latest.json").found


def test_a_link_to_a_device_is_never_read(tmp_path: Path) -> None:
    """A link to /dev/zero read forever; a device inside the root is no regular file."""
    root = _store(tmp_path)
    (root / "drill_report" / "zero.json").symlink_to("/dev/zero")
    assert "is a link out of" in (_read(root, "zero.json").error or "")
    os.mkfifo(root / "drill_report" / "pipe.json")
    assert "is not a regular file" in (_read(root, "pipe.json").error or "")


def test_a_document_over_the_limit_is_an_error_naming_the_setting(tmp_path: Path) -> None:
    root = _store(tmp_path)
    (root / "drill_report" / "big.json").write_text(json.dumps({**DRILL, "pad": "x" * 4000}))
    ev = _read(root, "big.json", ReadLimits(document_bytes=1000))
    assert ev.error is not None and not ev.transient
    assert "over the limit of 1,000 bytes (setting max_document_bytes)" in ev.error
    assert _read(root, "good.json", ReadLimits(document_bytes=1000)).found


def test_a_run_reads_no_more_than_its_budget(tmp_path: Path) -> None:
    root = _store(tmp_path)
    for n in range(5):
        (root / "drill_report" / f"d{n}.json").write_text(json.dumps(DRILL))
    size = len(json.dumps(DRILL))
    store = open_store(str(root), limits=ReadLimits(document_bytes=10_000, run_bytes=3 * size))
    objects = store.list("drill_report/d*.json")
    for obj in objects[:3]:
        store.read(obj)
    with pytest.raises(ObjectRefused) as refused:
        store.read(objects[3])
    assert "(setting max_run_bytes)" in str(refused.value)
    assert store.read(objects[0])[0]  # what was read is still there, from the cache

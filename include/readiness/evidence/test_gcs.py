"""The gs:// evidence store through the official client against gcp-storage-emulator:
what the document collectors read, a broken document, nothing there, unreachable."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from pathlib import Path

import pytest

from readiness.collectors.document.collector import COLLECTOR as DOCUMENTS
from readiness.evidence.gcs import GcsStore, parse_gs_uri
from readiness.evidence.store import ObjectRefused, open_store
from readiness.testing.collectors import request

GOOD = {
    "kind": "backup_restore",
    "environment": "staging",
    "started_at": "2026-11-16T13:00:00Z",
    "finished_at": "2026-11-16T14:00:00Z",
    "outcome": "passed",
    "rto_minutes": 18,
    "rpo_minutes": 2,
    "report_url": "https://drills.example.com/r",
}


def _bucket(client) -> str:
    name = f"evidence-{uuid.uuid4().hex[:8]}"
    client.create_bucket(name)
    return name


def _put(client, bucket: str, name: str, body: object) -> None:
    text = body if isinstance(body, str) else json.dumps(body)
    client.bucket(bucket).blob(name).upload_from_string(text)


def _collect(store: GcsStore, params: dict) -> object:
    return DOCUMENTS.collect(replace(request(params, Path(".")), store=store))


def test_documents_are_listed_by_glob_and_read_once(gcs_client) -> None:
    bucket = _bucket(gcs_client)
    _put(gcs_client, bucket, "evidence/svc/drill_report/2026-11-16.json", GOOD)
    later = {**GOOD, "finished_at": "2026-11-19T14:00:00Z", "started_at": "2026-11-19T13:00:00Z"}
    _put(gcs_client, bucket, "evidence/svc/drill_report/2026-11-19.jsonl", json.dumps(later) + "\n")
    _put(gcs_client, bucket, "evidence/other/drill_report/x.json", GOOD)  # another service
    store = GcsStore(f"gs://{bucket}/evidence/svc", client=gcs_client)
    assert [o.name for o in store.list("drill_report/**/*")] == [
        "drill_report/2026-11-16.json",
        "drill_report/2026-11-19.jsonl",
    ]
    ev = _collect(
        store, {"document": "drill_report", "where": {"kind": "backup_restore"}, "latest": True}
    )
    assert ev.error is None and ev.found
    assert ev.uri == f"gs://{bucket}/evidence/svc/drill_report/2026-11-19.jsonl"
    assert ev.rows[0]["finished_at"].isoformat().startswith("2026-11-19T14:00")
    assert len(ev.sha256) == 64


def test_a_broken_document_is_an_error_naming_the_object_and_field(gcs_client) -> None:
    bucket = _bucket(gcs_client)
    _put(gcs_client, bucket, "ev/drill_report/bad.json", {**GOOD, "rto_minutes": "fast"})
    store = GcsStore(f"gs://{bucket}/ev", client=gcs_client)
    ev = _collect(store, {"document": "drill_report", "latest": True})
    assert ev.error is not None and not ev.transient
    assert f"gs://{bucket}/ev/drill_report/bad.json" in ev.error and "rto_minutes" in ev.error


def test_nothing_there_is_missing(gcs_client) -> None:
    bucket = _bucket(gcs_client)
    ev = _collect(GcsStore(f"gs://{bucket}/ev", client=gcs_client), {"document": "drill_report"})
    assert not ev.found and ev.error is None


def test_an_unreachable_store_is_a_transient_error(monkeypatch) -> None:
    from readiness.evidence.gcs import storage_client

    monkeypatch.setenv("STORAGE_EMULATOR_HOST", "http://127.0.0.1:9")
    store = GcsStore("gs://b/ev", client=storage_client("p"), retry_s=1.0)
    ev = _collect(store, {"document": "drill_report"})
    assert ev.error is not None and ev.transient and "cannot list gs://b/ev" in ev.error


def test_gs_uris() -> None:
    assert parse_gs_uri("gs://bucket/a/b/") == ("bucket", "a/b")
    assert isinstance(open_store("gs://bucket/evidence/svc"), GcsStore)


def test_an_object_over_the_document_limit_is_an_error_naming_it(gcs_client) -> None:
    """No read had a size limit: a 5 GB object would have been downloaded whole."""
    from readiness.evidence.store import ReadLimits

    bucket = _bucket(gcs_client)
    _put(gcs_client, bucket, "evidence/svc/drill_report/big.json", {**GOOD, "pad": "x" * 5000})
    _put(gcs_client, bucket, "evidence/svc/drill_report/small.json", GOOD)
    store = open_store(f"gs://{bucket}/evidence/svc", limits=ReadLimits(document_bytes=1000))
    store._client = gcs_client  # type: ignore[attr-defined]
    big, _small = store.list("drill_report/**/*")
    assert big.size is not None and big.size > 1000
    ev = _collect(store, {"document": "drill_report", "path": "drill_report/big.json"})
    assert ev.error is not None and not ev.transient
    assert "over the limit of 1,000 bytes (setting max_document_bytes)" in ev.error
    # the listing's size is checked first: nothing of it was downloaded
    assert big.uri not in store._cache  # type: ignore[attr-defined]
    assert _collect(store, {"document": "drill_report", "path": "drill_report/small.json"}).found
    # an object larger than its listing said is still read only to the limit
    with pytest.raises(ObjectRefused, match="over the limit of 1,000 bytes"):
        store.read(replace(big, size=10))

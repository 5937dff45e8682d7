"""bucket_settings: live through the official client against gcp-storage-emulator, every
field from the JSON resource shape, and the recorded documents by default."""

from __future__ import annotations

import uuid
from dataclasses import replace
from pathlib import Path

from readiness.collectors import CollectContext
from readiness.collectors.bucket_settings.collector import COLLECTOR, row_from_resource
from readiness.testing.collectors import request

TESTDATA = Path(__file__).with_name("testdata")


def _live(params: dict, client: object) -> object:
    req = request(params, TESTDATA)
    return replace(req, live=True, context=CollectContext(storage_client=client))


def test_live_settings_from_the_emulator(gcs_client) -> None:
    name = f"evidence-{uuid.uuid4().hex[:8]}"
    gcs_client.create_bucket(name)
    ev = COLLECTOR.collect(_live({"buckets": [name]}, gcs_client))
    assert ev.error is None and ev.found
    (row,) = ev.rows
    assert row["bucket"] == name and row["location"]  # the emulator always answers "US"
    assert row["retention_period_days"] is None and row["retention_locked"] is False
    assert ev.uri == f"gs://{name}" and ev.sha256 and ev.summary["source"] == "live"


def test_a_bucket_that_does_not_exist_is_missing(gcs_client) -> None:
    ev = COLLECTOR.collect(_live({"buckets": "no-such-bucket-xyz"}, gcs_client))
    assert not ev.found and "no-such-bucket-xyz does not exist" in ev.summary["missing"]


def test_an_unreachable_api_is_a_transient_error(monkeypatch) -> None:
    from readiness.evidence.gcs import storage_client

    monkeypatch.setenv("STORAGE_EMULATOR_HOST", "http://127.0.0.1:9")  # nothing listens
    req = replace(
        _live({"buckets": "b"}, storage_client("p")),
        context=CollectContext(api_retry_s=1.0, storage_client=storage_client("p")),
    )
    ev = COLLECTOR.collect(req)
    assert ev.error is not None and ev.transient
    assert "cannot read bucket settings" in ev.error


def test_every_field_from_the_json_api_resource_shape() -> None:
    """What the real API returns for a locked, CMEK-encrypted, versioned bucket (the
    fields gcp-storage-emulator does not serve)."""
    resource = {
        "kind": "storage#bucket",
        "name": "melmastoon-audit-logs",
        "location": "EUROPE-WEST1",
        "locationType": "region",
        "retentionPolicy": {
            "retentionPeriod": "220752000",  # int64 as a string, seconds (2555 days)
            "effectiveTime": "2026-01-05T10:00:00.000Z",
            "isLocked": True,
        },
        "encryption": {
            "defaultKmsKeyName": "projects/p/locations/europe-west1/keyRings/r/cryptoKeys/k"
        },
        "versioning": {"enabled": True},
        "iamConfiguration": {
            "uniformBucketLevelAccess": {"enabled": True, "lockedTime": "2026-04-05T10:00:00Z"},
            "publicAccessPrevention": "enforced",
        },
    }
    assert row_from_resource(resource) == {
        "bucket": "melmastoon-audit-logs",
        "location": "EUROPE-WEST1",
        "location_type": "region",
        "retention_period_days": 2555.0,
        "retention_locked": True,
        "default_kms_key": "projects/p/locations/europe-west1/keyRings/r/cryptoKeys/k",
        "versioning": True,
        "uniform_bucket_level_access": True,
        "public_access_prevention": "enforced",
    }
    bare = row_from_resource({"name": "b", "location": "us"})
    assert bare["location"] == "US" and bare["default_kms_key"] is None
    assert bare["public_access_prevention"] == "inherited" and bare["versioning"] is False


def test_recorded_documents_by_default() -> None:
    ev = COLLECTOR.collect(request({"buckets": ["audit", "private"]}, TESTDATA / "store"))
    assert ev.found and ev.error is None
    assert sorted(r["bucket"] for r in ev.rows) == ["audit", "private"]
    audit = next(r for r in ev.rows if r["bucket"] == "audit")
    assert audit["retention_locked"] is True  # the newer of the two audit documents


def test_a_bucket_without_a_recorded_document_is_missing() -> None:
    ev = COLLECTOR.collect(request({"buckets": ["audit", "ghost"]}, TESTDATA / "store"))
    assert not ev.found and "ghost" in ev.summary["missing"]

"""Live Cloud Storage bucket settings: data residency, retention and its lock, CMEK,
versioning, uniform bucket-level access, public access prevention."""

from __future__ import annotations

import json
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from readiness.collectors import CollectRequest
from readiness.collectors._recorded import names_of, recorded
from readiness.domain.model import Evidence
from readiness.evidence.provenance import sha256_text
from readiness.support.timeutil import utcnow

COLUMNS = (
    "bucket",
    "location",
    "location_type",
    "retention_period_days",
    "retention_locked",
    "default_kms_key",
    "versioning",
    "uniform_bucket_level_access",
    "public_access_prevention",
)


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid")
    buckets: str | list[str]


def row_from_resource(resource: dict[str, Any]) -> dict[str, Any]:
    """One row from the bucket's JSON resource as the Cloud Storage JSON API returns it
    (``storage#bucket``). Every field is read here, so a test can check each one from the
    documented resource shape even where an emulator does not serve it."""
    retention = resource.get("retentionPolicy") or {}
    seconds = retention.get("retentionPeriod")
    iam = resource.get("iamConfiguration") or {}
    return {
        "bucket": resource.get("name"),
        "location": (resource.get("location") or "").upper() or None,
        "location_type": resource.get("locationType"),
        "retention_period_days": None if seconds is None else round(int(seconds) / 86400, 2),
        "retention_locked": bool(retention.get("isLocked", False)),
        "default_kms_key": (resource.get("encryption") or {}).get("defaultKmsKeyName"),
        "versioning": bool((resource.get("versioning") or {}).get("enabled", False)),
        "uniform_bucket_level_access": bool(
            (iam.get("uniformBucketLevelAccess") or {}).get("enabled", False)
        ),
        "public_access_prevention": iam.get("publicAccessPrevention", "inherited"),
    }


class BucketSettingsCollector:
    kind: ClassVar[str] = "bucket_settings"
    source: ClassVar[str] = "gcs"
    outage: ClassVar[str] = "source"
    recorded: ClassVar[str | None] = "bucket_settings"
    Params: ClassVar[type[BaseModel]] = Params
    #: Every column its evidence has: ``check`` refuses an expectation on any other.
    columns: ClassVar[tuple[str, ...]] = COLUMNS

    def collect(self, request: CollectRequest) -> Evidence:
        params = Params.model_validate(request.params)
        names = names_of(params.buckets)
        if not request.live:
            return recorded(request, "bucket_settings", "bucket", names)
        return self._live(names, request)

    def _live(self, names: list[str], request: CollectRequest) -> Evidence:
        from google.api_core.exceptions import NotFound
        from google.cloud.storage.retry import DEFAULT_RETRY

        from readiness.evidence.gcs import storage_client

        fetched_at = utcnow()
        uri = ",".join(f"gs://{n}" for n in names)
        rows, resources = [], []
        # bounded here; past it the task fails and Airflow retries it with backoff
        budget = request.context.api_retry_s
        try:
            client = request.context.storage_client or storage_client()
            for name in names:
                try:
                    bucket = client.get_bucket(
                        name, timeout=min(budget, 10.0), retry=DEFAULT_RETRY.with_timeout(budget)
                    )
                except NotFound:
                    return Evidence.missing(uri, fetched_at, f"bucket {name} does not exist")
                resources.append(bucket._properties)
                rows.append(row_from_resource(bucket._properties))
        except Exception as exc:  # credentials, permissions, 5xx, network
            return Evidence.failed(
                uri,
                fetched_at,
                f"cannot read bucket settings: {type(exc).__name__}: {exc}",
                transient=True,
            )
        return Evidence(
            rows=rows,
            columns=COLUMNS,
            uri=uri,
            sha256=sha256_text(json.dumps(resources, sort_keys=True)),
            fetched_at=fetched_at,
            observed_at=fetched_at,
            summary={"source": "live", "buckets": names},
        )


COLLECTOR = BucketSettingsCollector()

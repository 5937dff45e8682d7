"""Healthy recorded bucket settings: one document per bucket the items name, with what
their expectations want on top of a well-configured bucket."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from readiness.collectors.samples import KMS, SampleContext, SampleStore, iso
from readiness.domain.model import Item


class BucketSample:
    def __init__(self, context: SampleContext) -> None:
        self.context = context
        self.buckets: dict[str, dict[str, Any]] = {}

    def add_item(self, item: Item, params: dict[str, Any], wanted: dict[str, Any]) -> None:
        buckets = params["buckets"]
        for bucket in [buckets] if isinstance(buckets, str) else buckets:
            self.buckets.setdefault(bucket, {}).update(wanted)

    def add_recorded(self, where: dict[str, Any], wanted: dict[str, Any]) -> None:
        bucket = where.get("bucket")
        if bucket:
            self.buckets.setdefault(bucket, {}).update(wanted)

    def write(self, store: SampleStore) -> None:
        for bucket, wanted in self.buckets.items():
            store.add(
                f"bucket_settings/{bucket}.json",
                {
                    "bucket": bucket,
                    "observed_at": iso(self.context.today - timedelta(days=1)),
                    "location": "EUROPE-WEST1",
                    "versioning": True,
                    "uniform_bucket_level_access": True,
                    "public_access_prevention": "enforced",
                    "retention_period_days": None,
                    "retention_locked": False,
                    "default_kms_key": KMS.format(name=bucket),
                    **{k: v for k, v in wanted.items() if k != "default_kms_key"},
                },
            )


def sample(context: SampleContext) -> BucketSample:
    return BucketSample(context)

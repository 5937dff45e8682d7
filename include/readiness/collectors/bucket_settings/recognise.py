"""Bucket retention, residency and encryption in a document's words."""

from __future__ import annotations

import re
from typing import Any

from readiness.collectors.recognise import Guess, Wording, in_set, rule


def bucket(w: Wording) -> Guess | None:
    lowered = w.lowered
    if not re.search(
        r"bucket lock|retention (?:policy|lock)|bucket (?:region|location)|residency|\bcmek\b|"
        r"\bbucket\b",
        lowered,
    ):
        return None
    expectation: dict[str, Any]
    if "cmek" in lowered or "encryption" in lowered:
        expectation = {"expect_column_values_to_not_be_null": {"column": "default_kms_key"}}
    elif "lock" in lowered:
        expectation = in_set("retention_locked", [True])
    elif re.search(r"region|location|residency", lowered):
        expectation = in_set("location", ["EUROPE-WEST1"])
    else:
        expectation = {"expect_column_values_to_not_be_null": {"column": "retention_period_days"}}
    return rule(
        "bucket_settings",
        {"buckets": "${locations.bucket}"},
        [expectation],
        w.stated_max_age or "30d",
    ), "which bucket (evidence.locations.bucket) and the value the document requires"


RECOGNISERS = [(60, bucket)]

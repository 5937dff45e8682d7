"""Test coverage thresholds in a document's words."""

from __future__ import annotations

import re

from readiness.collectors.recognise import Guess, Wording, rule


def coverage(w: Wording) -> Guess | None:
    if not re.search(
        r"\bcoverage\b.*(?:≥|>=|>|\d+\s*%)|(?:≥|>=|>)\s*\d+\s*%.*coverage|coverage report",
        w.lowered,
    ):
        return None
    threshold = re.search(r"(?:≥|>=|>)\s*(\d+)\s*%", w.text)
    minimum = int(threshold.group(1)) / 100 if threshold else 0.8
    return rule(
        "coverage_report",
        {"prefixes": ["src/"]},
        [{"expect_column_values_to_be_between": {"column": "line_rate", "min_value": minimum}}],
        w.stated_max_age or "14d",
    ), "which path prefixes the coverage is measured on"


RECOGNISERS = [(50, coverage)]

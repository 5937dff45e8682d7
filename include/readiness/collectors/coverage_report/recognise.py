"""Test coverage thresholds in a document's words."""

from __future__ import annotations

import re

from readiness.collectors.recognise import Guess, Wording, percent_threshold, rule


def coverage(w: Wording) -> Guess | None:
    """Line coverage at or over the percentage the text states ("over 80%", "≥ 85 %"),
    against ``lines_pct``: the collector reports percent, not a fraction."""
    if not re.search(
        r"coverage\b|coverage report|\bcovered by tests\b|\bcover the majority\b", w.lowered
    ):
        return None
    threshold = percent_threshold(w.text)
    if (
        threshold is None
        and "report" not in w.lowered
        and not re.search(r"\bhigh\b|\bmajority\b", w.lowered)
    ):
        return None
    review = ["which path prefixes the coverage is measured on"]
    expectation: dict[str, dict[str, object]]
    if threshold is None:
        expectation = {"expect_column_values_to_not_be_null": {"column": "lines_pct"}}
        review.append("no threshold in the text: only that a report exists is checked")
    else:
        bound: dict[str, object] = {"column": "lines_pct", "min_value": threshold.percent}
        expectation = {"expect_column_values_to_be_between": bound}
        if not threshold.stated:
            review.append(f"'{threshold.percent:g} %' read as a minimum")
    return rule(
        "coverage_report", {"prefixes": ["src/"]}, [expectation], w.stated_max_age or "14d"
    ), "; ".join(review)


RECOGNISERS = [(50, coverage)]

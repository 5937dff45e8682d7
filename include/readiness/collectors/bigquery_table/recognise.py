"""Table freshness in a document's words."""

from __future__ import annotations

import re

from readiness.collectors.recognise import Guess, Wording, rule


def freshness(w: Wording) -> Guess | None:
    if not re.search(r"bigquery|datastream|freshness", w.lowered):
        return None
    return rule(
        "bigquery_table",
        {"table": "${locations.table}"},
        [
            {
                "expect_column_values_to_be_between": {
                    "column": "freshness_lag_minutes",
                    "max_value": 60,
                }
            }
        ],
        w.stated_max_age or "2d",
    ), "which table (evidence.locations.table) and its freshness bound"


RECOGNISERS = [(70, freshness)]

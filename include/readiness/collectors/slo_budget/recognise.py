"""Error budgets and burn rates in a document's words."""

from __future__ import annotations

import re

from readiness.collectors.recognise import Guess, Wording, rule


def error_budget(w: Wording) -> Guess | None:
    if not re.search(r"error[- ]budget|budget (remaining|unburned)|\bburn rate", w.lowered):
        return None
    return rule(
        "slo_budget",
        {"slo": "availability", "window": "28d"},
        [
            {
                "expect_column_values_to_be_between": {
                    "column": "budget_remaining",
                    "min_value": 0.5,
                }
            }
        ],
        w.stated_max_age or "1d",
    ), "which SLO and what budget: the document's threshold was not read"


RECOGNISERS = [(40, error_budget)]

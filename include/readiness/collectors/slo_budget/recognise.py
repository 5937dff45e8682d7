"""Error budgets, burn rates and SLO targets in a document's words."""

from __future__ import annotations

import re

from readiness.collectors.recognise import Guess, Wording, percent_threshold, rule

#: Unless the text says otherwise: error budgets are exported once a day, some hours after
#: the day ends, so a day's allowance would lapse every night before the export.
MAX_AGE = "2d"


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
        w.stated_max_age or MAX_AGE,
    ), "which SLO and what budget: the document's threshold was not read"


def slo_target(w: Wording) -> Guess | None:
    """ "Availability of at least 99.9 %", "SLO > 99.9%": the objective set that high, and
    met (budget left) over the window."""
    if not re.search(r"\bslo\b|\bavailability\b|\buptime\b", w.lowered):
        return None
    threshold = percent_threshold(w.text)
    if threshold is None or threshold.bound != "min" or not 50 <= threshold.percent < 100:
        return None
    objective = round(threshold.percent / 100, 6)
    return rule(
        "slo_budget",
        {"slo": "availability", "window": "28d"},
        [
            {"expect_column_values_to_be_between": {"column": "objective", "min_value": objective}},
            {"expect_column_values_to_be_between": {"column": "budget_remaining", "min_value": 0}},
        ],
        w.stated_max_age or MAX_AGE,
    ), f"which SLO: objective {threshold.percent:g} % read from the text"


RECOGNISERS = [(40, error_budget), (45, slo_target)]

"""Evidence documents in a document's words: CI results (test specs, tools, tests, checks
that pass), drill reports, and config snapshots of the systems it names."""

from __future__ import annotations

import re
from typing import Any

from readiness.collectors.recognise import Guess, Wording, in_set, rule, slug, spec_files

#: System words → the ``config_snapshot`` system that records them.
SYSTEMS = (
    ("terraform", "terraform"),
    ("dashboard", "grafana"),
    ("cloud scheduler", "cloud_scheduler"),
    ("resource limits", "cloud_run"),
    ("resource budgets", "cloud_run"),
    ("helm", "helm"),
    ("pagerduty", "pagerduty"),
    ("grafana", "grafana"),
    ("alert", "alertmanager"),
    ("mesh", "istio"),
    ("istio", "istio"),
    ("cloud sql", "cloud_sql"),
    ("pitr", "cloud_sql"),
    ("cloud run", "cloud_run"),
    ("k8s", "cloud_run"),
    ("canary", "cloud_deploy"),
    ("rollback", "cloud_deploy"),
)
_DRILL_WORDS = (
    r"drill|game[- ]?day|failover|brownout|run-through|(?:rollback|runbook|restore)\b.*\btested"
)
_VERIFIED_BY = r"\(?(?:verified by|checked by|via)\s+([a-z][\w.-]+)\)?"
_TOOLS = r"\((ts-prune|madge|cosign|spectral|trivy|snyk|semgrep|eslint|depcheck)\)"
_PASSES = r"\bpasses\b|\bgreen\b|\bci (?:check|gate|artifact)\b|\bscan\b|\blint"
_FROM_TITLE = "CI check name made from the title: use the name CI reports"


def ci(checks: list[str], stated: str | None) -> dict[str, Any]:
    """The newest CI result of each named check passed (all of them there)."""
    if len(checks) == 1:
        return rule(
            "document",
            {"document": "ci_check", "where": {"check": checks[0]}, "latest": True},
            [in_set("status", ["passed"])],
            stated or "14d",
        )
    return rule(
        "document",
        {"document": "ci_check", "where": {"check": checks}, "latest_by": "check"},
        [
            {"expect_table_row_count_to_be_between": {"min_value": len(checks)}},
            in_set("status", ["passed"]),
        ],
        stated or "14d",
    )


def named_test_specs(w: Wording) -> Guess | None:
    specs = spec_files(w.text)
    return (ci(specs, w.stated_max_age), "") if specs else None


def tool(w: Wording) -> Guess | None:
    found = re.search(
        r"\(?(?:verified by|checked by|via)\s+([a-z][\w.-]+)\)?", w.text
    ) or re.search(
        r"\((ts-prune|madge|cosign|spectral|trivy|snyk|semgrep|eslint|depcheck)\)", w.text
    )
    return (ci([found.group(1)], w.stated_max_age), "") if found else None


def tests_named(w: Wording) -> Guess | None:
    if re.search(
        r"\b(?:unit|integration|e2e|replay|chaos|contract|load)?\s*tests?\b", w.lowered
    ) and not re.search(_DRILL_WORDS, w.lowered):
        return ci([slug(w.title, "-")], w.stated_max_age), _FROM_TITLE
    return None


def drill(w: Wording) -> Guess | None:
    lowered = w.lowered
    if not re.search(_DRILL_WORDS + r"|chaos|exercised", lowered):
        return None
    kind = (
        "game_day"
        if "game" in lowered
        else "chaos"
        if "chaos" in lowered or "brownout" in lowered
        else "dr_failover"
        if "failover" in lowered or " dr " in f" {lowered} "
        else "backup_restore"
        if "restore" in lowered or "backup" in lowered
        else "rollback"
        if "rollback" in lowered
        else "runbook_exercise"
    )
    stated = w.stated_max_age
    return rule(
        "document",
        {"document": "drill_report", "where": {"kind": kind}, "latest": True},
        [in_set("outcome", ["passed"])],
        stated or "180d",
    ), ("" if stated else "how often the drill must run: no cadence in the document")


def check_passes(w: Wording) -> Guess | None:
    if not re.search(
        r"\bpasses\b|\bgreen\b|\bci (?:check|gate|artifact)\b|\bscan\b|\blint", w.lowered
    ):
        return None
    name = re.search(r"\b([a-z][\w-]*:[\w-]+)\b", w.text)  # events:compatibility-check
    if name:
        return ci([name.group(1)], w.stated_max_age), ""
    return ci([slug(w.title, "-")], w.stated_max_age), _FROM_TITLE


def config_snapshot(w: Wording) -> Guess | None:
    system = next((s for word, s in SYSTEMS if word in w.lowered), None)
    if system is None:
        return None
    return rule(
        "document",
        {
            "document": "config_snapshot",
            "where": {"system": system, "resource": slug(w.title, "-")},
            "latest": True,
        },
        [{"expect_column_values_to_not_be_null": {"column": "settings"}}],
        w.stated_max_age or "30d",
    ), f"which {system} resource and setting: the document names the system only"


RECOGNISERS = [
    (10, named_test_specs),
    (80, tool),
    (90, tests_named),
    (100, drill),
    (130, check_passes),
    (150, config_snapshot),
]

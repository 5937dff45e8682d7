"""From an item's words to its evidence: the collector, its params, expectations and
``max_age``, and what was guessed (``review:``)."""

from __future__ import annotations

import re
from typing import Any

from readiness.authoring.importer.model import ImportedItem, slug


def _paths(text: str) -> list[str]:
    found = re.findall(
        r"(?<![\w/])((?:[\w.\-*]+/)+[\w.\-*]*|[\w\-]+\.(?:md|ya?ml|json|ts|tf))", text
    )
    return [p for p in dict.fromkeys(found) if not p.startswith("http")]


_SPEC_FILE = re.compile(r"(?<![\w/])([\w\-./]*[\w\-]+\.(?:e2e\.spec|spec|test|e2e)\.[jt]sx?)\b")
#: Cadences and durations in the text → ``max_age`` (the newest evidence may be this old).
_CADENCES = (
    (re.compile(r"\bdaily\b|\bevery day\b|\bnightly\b", re.I), "1d"),
    (re.compile(r"\bweekly\b|\bevery week\b", re.I), "8d"),
    (re.compile(r"\bmonthly\b|\bevery month\b", re.I), "31d"),
    (re.compile(r"\bquarterly\b|\b(?:every|each|per|last) quarter\b", re.I), "92d"),
    (re.compile(r"\byearly\b|\bannual(?:ly)?\b|\bevery year\b", re.I), "366d"),
)
_WITHIN = re.compile(
    r"\b(?:within|in the last|last|every|at most|≤)\s+(\d+)\s*(day|week|month)", re.I
)
#: Roles named in the text: "approved by product owner", "signed by the SRE lead".
_BY_ROLE = re.compile(
    r"\b(?:approved|signed(?: off)?|reviewed|accepted|attested)\s+by\s+(?:the\s+)?"
    r"([A-Za-z][\w /&-]{1,40}?)(?=[.;,)]|\s+(?:and|before|after|in|on|for)\b|$)",
    re.I,
)
_NOT_ROLE = frozenset({"review", "reviewed", "doc", "signature", "sign-off", "approval", "report"})
#: System words → the ``config_snapshot`` system that records them.
_SYSTEMS = (
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


def spec_files(text: str) -> list[str]:
    """Every test spec the text names, as it names them (``IdempotencyMiddleware.spec.ts``)."""
    return list(dict.fromkeys(m.group(1) for m in _SPEC_FILE.finditer(text)))


def max_age_of(text: str) -> str | None:
    """A duration or cadence the text states ("within 90 days", "weekly"), as a max_age."""
    found = _WITHIN.search(text)
    if found:
        n, unit = int(found.group(1)), found.group(2).lower()
        return f"{n * {'day': 1, 'week': 7, 'month': 31}[unit]}d"
    for pattern, age in _CADENCES:
        if pattern.search(text):
            return age
    return None


def roles_named(text: str) -> list[str]:
    """Roles the text says approve or sign ("approved by product owner" → Product owner)."""
    roles = []
    for match in _BY_ROLE.finditer(text):
        words = match.group(1).split()
        while words and words[-1].lower() in _NOT_ROLE:  # the glued evidence cell
            words.pop()
        role = " ".join(words[:4]).strip(" -")
        if role:
            roles.append(role[0].upper() + role[1:])
    return list(dict.fromkeys(roles))


def _rule(
    kind: str, params: dict[str, Any], expectations: list[dict[str, Any]], max_age: str | None
) -> dict[str, Any]:
    out: dict[str, Any] = {"evidence": {"kind": kind, "params": params}}
    out["expectations"] = expectations
    if max_age:
        out["max_age"] = max_age
    return out


def _in_set(column: str, values: list[Any]) -> dict[str, Any]:
    return {"expect_column_values_to_be_in_set": {"column": column, "value_set": values}}


def _ci(checks: list[str], stated: str | None) -> dict[str, Any]:
    """The newest CI result of each named check passed (all of them there)."""
    if len(checks) == 1:
        return _rule(
            "document",
            {"document": "ci_check", "where": {"check": checks[0]}, "latest": True},
            [_in_set("status", ["passed"])],
            stated or "14d",
        )
    return _rule(
        "document",
        {"document": "ci_check", "where": {"check": checks}, "latest_by": "check"},
        [
            {"expect_table_row_count_to_be_between": {"min_value": len(checks)}},
            _in_set("status", ["passed"]),
        ],
        stated or "14d",
    )


def evidence_for(item: ImportedItem, section_roles: list[str]) -> tuple[dict[str, Any], str]:
    """The item's evidence and expectations, and why it needs review ('' when it does not).

    Only what the text says is used: a check is named as the document names it, and
    anything guessed (a check name made from the title, a recorded resource, a pattern)
    carries ``review:`` saying so."""
    text = f"{item.title} {item.check} {item.evidence_text}"
    lowered = text.lower()
    stated = max_age_of(text)
    if item.signoff:
        return _attested(item.roles or section_roles), ""
    named_roles = roles_named(item.title) or roles_named(text)
    specs = spec_files(text)
    if specs:
        return _ci(specs, stated), ""
    if re.search(
        r"/healthz|/readyz|/livez|curl\b.*\b200\b|returns 200|health and readiness probes", lowered
    ):
        urls = [
            f"${{locations.base_url}}{u}" for u in re.findall(r"/(?:healthz|readyz|livez)", text)
        ]
        urls = urls or ["${locations.base_url}/healthz"]
        return _rule(
            "http_probe",
            {"urls": urls},
            [_in_set("status_code", [200])],
            stated or "1d",
        ), ""
    if "/metrics" in lowered or "prometheus" in lowered:
        return _rule(
            "http_probe",
            {"urls": "${locations.base_url}/metrics", "metrics": []},
            [{"expect_column_values_to_be_between": {"column": "metrics_missing", "max_value": 0}}],
            stated or "1d",
        ), "list the metric families the document requires in metrics:"
    if re.search(r"error[- ]budget|budget (remaining|unburned)|\bburn rate", lowered):
        return _rule(
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
            stated or "1d",
        ), "which SLO and what budget: the document's threshold was not read"
    if re.search(
        r"\bcoverage\b.*(?:≥|>=|>|\d+\s*%)|(?:≥|>=|>)\s*\d+\s*%.*coverage|coverage report", lowered
    ):
        threshold = re.search(r"(?:≥|>=|>)\s*(\d+)\s*%", text)
        minimum = int(threshold.group(1)) / 100 if threshold else 0.8
        return _rule(
            "coverage_report",
            {"prefixes": ["src/"]},
            [{"expect_column_values_to_be_between": {"column": "line_rate", "min_value": minimum}}],
            stated or "14d",
        ), "which path prefixes the coverage is measured on"
    if re.search(
        r"bucket lock|retention (?:policy|lock)|bucket (?:region|location)|residency|\bcmek\b|"
        r"\bbucket\b",
        lowered,
    ):
        if "cmek" in lowered or "encryption" in lowered:
            expectation = {"expect_column_values_to_not_be_null": {"column": "default_kms_key"}}
        elif "lock" in lowered:
            expectation = _in_set("retention_locked", [True])
        elif re.search(r"region|location|residency", lowered):
            expectation = _in_set("location", ["EUROPE-WEST1"])
        else:
            expectation = {
                "expect_column_values_to_not_be_null": {"column": "retention_period_days"}
            }
        return _rule(
            "bucket_settings",
            {"buckets": "${locations.bucket}"},
            [expectation],
            stated or "30d",
        ), "which bucket (evidence.locations.bucket) and the value the document requires"
    if re.search(r"bigquery|datastream|freshness", lowered):
        return _rule(
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
            stated or "2d",
        ), "which table (evidence.locations.table) and its freshness bound"
    tool = re.search(r"\(?(?:verified by|checked by|via)\s+([a-z][\w.-]+)\)?", text) or re.search(
        r"\((ts-prune|madge|cosign|spectral|trivy|snyk|semgrep|eslint|depcheck)\)", text
    )
    if tool:
        return _ci([tool.group(1)], stated), ""
    drill_words = (
        r"drill|game[- ]?day|failover|brownout|run-through|(?:rollback|runbook|restore)\b.*\btested"
    )
    if re.search(
        r"\b(?:unit|integration|e2e|replay|chaos|contract|load)?\s*tests?\b", lowered
    ) and not re.search(drill_words, lowered):
        return _ci([slug(item.title, "-")], stated), (
            "CI check name made from the title: use the name CI reports"
        )
    if re.search(drill_words + r"|chaos|exercised", lowered):
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
        return _rule(
            "document",
            {"document": "drill_report", "where": {"kind": kind}, "latest": True},
            [_in_set("outcome", ["passed"])],
            stated or "180d",
        ), ("" if stated else "how often the drill must run: no cadence in the document")
    registered = re.search(
        r"\b(?:registered|listed|referenced|cross-referenced) (?:in|from) (\S+)", text
    )
    if registered:
        return _rule(
            "repo_grep",
            {
                "pattern": re.escape(item.id or slug(item.title)),
                "paths": [registered.group(1).rstrip(".,;")],
            },
            [{"expect_column_values_to_be_between": {"column": "matches", "min_value": 1}}],
            None,
        ), f"the pattern to find in {registered.group(1)}: only the document's wording was read"
    if re.search(r"\bgrep\b|\bno (?:todo|fixme|console\.log|any)\b|\bno imports?\b", lowered):
        return _rule(
            "repo_grep",
            {"pattern": "TODO|FIXME", "paths": ["src/**/*"]},
            [{"expect_column_values_to_be_between": {"column": "matches", "max_value": 0}}],
            None,
        ), "the pattern and paths to search: only the document's wording was read"
    if re.search(r"\bpasses\b|\bgreen\b|\bci (?:check|gate|artifact)\b|\bscan\b|\blint", lowered):
        name = re.search(r"\b([a-z][\w-]*:[\w-]+)\b", text)  # events:compatibility-check
        if name:
            return _ci([name.group(1)], stated), ""
        return _ci([slug(item.title, "-")], stated), (
            "CI check name made from the title: use the name CI reports"
        )
    paths = _paths(text)
    if paths and re.search(r"exist|commit|present|\brepo\b|\bfile\b|\bdoc\b|published", lowered):
        return {
            "evidence": {"kind": "repo_files", "params": {"paths": paths}},
            "expectations": [
                {"expect_column_values_to_be_in_set": {"column": "exists", "value_set": [True]}}
            ],
        }, ""
    if any(word in lowered for word, _system in _SYSTEMS):
        system = next(s for word, s in _SYSTEMS if word in lowered)
        return _rule(
            "document",
            {
                "document": "config_snapshot",
                "where": {"system": system, "resource": slug(item.title, "-")},
                "latest": True,
            },
            [{"expect_column_values_to_not_be_null": {"column": "settings"}}],
            stated or "30d",
        ), f"which {system} resource and setting: the document names the system only"
    roles = named_roles or section_roles or ["Service owner"]
    what = item.evidence_text or item.check or "the document names no evidence"
    why = f"no collector for {what!r}; attested by {', '.join(roles)}"
    return _attested(roles), ("" if named_roles else why)


def _attested(roles: list[str]) -> dict[str, Any]:
    return {
        "evidence": {"kind": "attestation", "params": {"roles": roles}},
        "expectations": [{"expect_column_values_to_not_be_null": {"column": "signer"}}],
    }


def required_from_title(title: str, levels: list[dict[str, Any]], default: str) -> str:
    for level in levels:
        if re.search(rf"\b{re.escape(level['id'])}\b", title):
            return str(level["id"])
    for level in levels:
        if re.search(rf"\b{re.escape(level['name'])}\b", title.split("(")[0]):
            return str(level["id"])
    return default

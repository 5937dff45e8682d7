"""Table definitions shared by every backend, in BigQuery's type names.

Columns are only ever added (additive evolution): a store creates missing columns on
start, so history written by an older version stays readable."""

from __future__ import annotations

from readiness.domain.model import Status

EVALUATIONS: list[tuple[str, str]] = [
    ("run_id", "STRING"),
    ("run_key", "STRING"),
    ("service", "STRING"),
    ("evaluated_at", "TIMESTAMP"),
    ("recorded_at", "TIMESTAMP"),
    ("logical_date", "TIMESTAMP"),
    ("dag_id", "STRING"),
    ("dag_run_id", "STRING"),
    ("trigger", "STRING"),
    ("checklist_id", "STRING"),
    ("checklist_version", "STRING"),
    ("checklist_sha256", "STRING"),
    ("spec_sha256", "STRING"),
    ("target_level", "STRING"),
    ("achieved_level", "STRING"),
    ("previous_level", "STRING"),
    ("target_rank", "INT64"),
    ("achieved_rank", "INT64"),
    ("previous_rank", "INT64"),
    ("downgraded", "BOOL"),
    ("regressions", "INT64"),
    *((f"count_{status.value}", "INT64") for status in Status),
    ("items", "INT64"),
    ("report_uri", "STRING"),
]

ITEM_RESULTS: list[tuple[str, str]] = [
    ("run_id", "STRING"),
    ("service", "STRING"),
    ("item_id", "STRING"),
    ("section", "STRING"),
    ("title", "STRING"),
    ("required_from", "STRING"),
    ("required_rank", "INT64"),
    ("severity", "STRING"),
    ("status", "STRING"),
    ("effective_status", "STRING"),
    ("previous_status", "STRING"),
    ("regressed", "BOOL"),
    ("error_streak", "INT64"),
    ("episode_id", "STRING"),
    ("reason", "STRING"),
    ("observed", "JSON"),
    ("expectations", "JSON"),
    ("evidence_kind", "STRING"),
    ("evidence_uri", "STRING"),
    ("evidence_sha256", "STRING"),
    ("evidence_observed_at", "TIMESTAMP"),
    ("evidence_fetched_at", "TIMESTAMP"),
    ("evidence_expires_at", "TIMESTAMP"),
    ("waiver", "JSON"),
    ("evaluated_at", "TIMESTAMP"),
    #: the service spec's override of the item, in words; NULL for the checklist's rule
    ("spec_override", "STRING"),
]

ISSUE_LINKS: list[tuple[str, str]] = [
    ("service", "STRING"),
    ("item_id", "STRING"),
    ("episode_id", "STRING"),
    ("tracker", "STRING"),
    ("issue_id", "STRING"),
    ("issue_key", "STRING"),
    ("url", "STRING"),
    ("state", "STRING"),
    ("title", "STRING"),
    ("opened_run_id", "STRING"),
    ("opened_at", "TIMESTAMP"),
    ("closed_at", "TIMESTAMP"),
    ("closed_reason", "STRING"),
    ("last_reason", "STRING"),
    ("previous_issue_key", "STRING"),
    ("updated_at", "TIMESTAMP"),
]

TABLES: dict[str, list[tuple[str, str]]] = {
    "evaluations": EVALUATIONS,
    "item_results": ITEM_RESULTS,
    "issue_links": ISSUE_LINKS,
}

#: BigQuery layout: partition by evaluation date, cluster by what analysts filter on.
PARTITIONING: dict[str, tuple[str | None, list[str]]] = {
    "evaluations": ("evaluated_at", ["service"]),
    "item_results": ("evaluated_at", ["service", "item_id", "status"]),
    "issue_links": (None, ["service", "item_id"]),
}

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
    #: exemptions the spec asks for that are not in force (requested, refused, lapsed)
    ("exemptions_pending", "INT64"),
    #: the checklist the service is still held to while a move away is not granted
    ("held_checklist", "STRING"),
    #: every exemption the spec asks for and where it stands (``ExemptionState.as_json``)
    ("exemptions", "JSON"),
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
    #: the exemption asked for the item and where it stands (requested, granted, …)
    ("exemption", "JSON"),
    ("exemption_state", "STRING"),
]

#: Every exemption request, decision, refusal and lapse, and every change of a spec's
#: checklist or target: appended once each (``event_id``), never updated.
EXEMPTION_EVENTS: list[tuple[str, str]] = [
    ("event_id", "STRING"),
    ("service", "STRING"),
    ("request_id", "STRING"),
    ("item_id", "STRING"),
    ("kind", "STRING"),
    #: requested | asked | granted | refused | grant_refused | unanswered | lapsed | changed
    ("event", "STRING"),
    #: who: the requester, the approver (as Airflow's auth named them), or ``readiness``
    ("actor", "STRING"),
    ("occurred_at", "TIMESTAMP"),
    #: the last day asked for (requested) or granted (granted)
    ("valid_until", "DATE"),
    ("comment", "STRING"),
    #: where it was decided: ``airflow:<dag_id>/<run_id>/<task_id>``, a grant document's URI
    ("source", "STRING"),
    ("run_id", "STRING"),
    ("detail", "JSON"),
    ("recorded_at", "TIMESTAMP"),
]

#: One signed verdict per recorded evaluation, chained per service (``domain/verdicts``):
#: appended, never updated; a re-run appends one that supersedes the run's earlier one.
VERDICTS: list[tuple[str, str]] = [
    ("service", "STRING"),
    #: the verdict's place in its service's chain, from 1 with no gap
    ("sequence", "INT64"),
    ("run_id", "STRING"),
    ("evaluated_at", "TIMESTAMP"),
    #: sha256 of the signed payload (the canonical in-toto Statement)
    ("verdict_sha256", "STRING"),
    ("previous_sha256", "STRING"),
    ("supersedes_sha256", "STRING"),
    ("key_id", "STRING"),
    ("achieved_level", "STRING"),
    #: the DSSE envelope, as text: its payload is what the signature covers
    ("envelope", "STRING"),
    ("recorded_at", "TIMESTAMP"),
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

#: One row per announcement delivered on one channel (``lifecycle/announcements``): the
#: ledger that makes each event go out once, task retries and DAG re-runs included.
NOTIFICATIONS: list[tuple[str, str]] = [
    #: ``<announcement id>|<channel>``
    ("event_id", "STRING"),
    ("announcement_id", "STRING"),
    ("service", "STRING"),
    #: downgrade | recovery | lapse-notice | late
    ("kind", "STRING"),
    #: slack | email
    ("channel", "STRING"),
    #: the Airflow connection it went through (its id, never its secret)
    ("connection_id", "STRING"),
    ("run_id", "STRING"),
    ("subject", "STRING"),
    ("occurred_at", "TIMESTAMP"),
    ("sent_at", "TIMESTAMP"),
    ("recorded_at", "TIMESTAMP"),
]

TABLES: dict[str, list[tuple[str, str]]] = {
    "evaluations": EVALUATIONS,
    "item_results": ITEM_RESULTS,
    "issue_links": ISSUE_LINKS,
    "exemption_events": EXEMPTION_EVENTS,
    "verdicts": VERDICTS,
    "notifications": NOTIFICATIONS,
}

#: BigQuery layout: partition by evaluation date, cluster by what analysts filter on.
PARTITIONING: dict[str, tuple[str | None, list[str]]] = {
    "evaluations": ("evaluated_at", ["service"]),
    "item_results": ("evaluated_at", ["service", "item_id", "status"]),
    "issue_links": (None, ["service", "item_id"]),
    "exemption_events": ("occurred_at", ["service", "request_id"]),
    "verdicts": ("evaluated_at", ["service", "sequence"]),
    "notifications": ("occurred_at", ["service", "kind"]),
}

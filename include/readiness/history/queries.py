"""The reads every history backend makes, written once in GoogleSQL (``@name`` parameters,
``{dataset}`` for the dataset) and translated by sqlglot for DuckDB, like the views. Only
parameters carry user input (service names, run ids)."""

from __future__ import annotations

PRIOR_STATES = """
SELECT item_id, status, effective_status, error_streak, reason, episode_id, run_id
FROM {dataset}.item_results
WHERE service = @service AND evaluated_at <= @as_of AND run_id <> @run_id
QUALIFY ROW_NUMBER() OVER (PARTITION BY item_id ORDER BY evaluated_at DESC, run_id DESC) = 1
"""

PREVIOUS_LEVEL = """
SELECT achieved_level
FROM {dataset}.evaluations
WHERE service = @service AND evaluated_at <= @as_of AND run_id <> @run_id
ORDER BY evaluated_at DESC, run_id DESC
LIMIT 1
"""

LINKS = """
SELECT *
FROM {dataset}.issue_links
WHERE service = @service
ORDER BY opened_at, episode_id
"""

OPEN_LINKS_OF_ITEM = """
SELECT *
FROM {dataset}.issue_links
WHERE item_id = @item_id AND state = 'open'
ORDER BY opened_at, episode_id
"""

SERVICES = """
SELECT DISTINCT service FROM {dataset}.evaluations ORDER BY service
"""

SERVICES_WITH_OPEN_ISSUES = """
SELECT DISTINCT service FROM {dataset}.issue_links WHERE state = 'open' ORDER BY service
"""

LATEST_EVALUATION = """
SELECT *
FROM {dataset}.evaluations
WHERE service = @service AND evaluated_at <= @as_of
ORDER BY evaluated_at DESC, run_id DESC
LIMIT 1
"""

# evaluated_at is the partitioning column: naming it lets BigQuery read one partition.
FAILING_ITEMS = """
SELECT item_id, title, required_from, severity, status, effective_status, reason, evidence_uri
FROM {dataset}.item_results
WHERE run_id = @run_id AND evaluated_at = @evaluated_at
  AND effective_status NOT IN {satisfied}
ORDER BY required_rank, item_id
"""

IN_GRACE_ITEMS = """
SELECT item_id, title, required_from, severity, status, effective_status, reason, evidence_uri
FROM {dataset}.item_results
WHERE run_id = @run_id AND evaluated_at = @evaluated_at
  AND status = {status_error} AND effective_status IN {satisfied}
ORDER BY required_rank, item_id
"""

#: Items whose rule the service spec changed: an auditor must see a modified rule.
OVERRIDDEN_ITEMS = """
SELECT item_id, title, required_from, effective_status, spec_override
FROM {dataset}.item_results
WHERE run_id = @run_id AND evaluated_at = @evaluated_at AND spec_override IS NOT NULL
ORDER BY required_rank, item_id
"""

TIMELINE = """
SELECT evaluated_at, run_id, trigger, achieved_level, previous_level, target_level,
       regressions, {status_counts}
FROM {dataset}.evaluations
WHERE service = @service AND evaluated_at >= @since
ORDER BY evaluated_at, run_id
"""

TRANSITIONS = """
SELECT evaluated_at, item_id, title, previous_status, status, effective_status, regressed, reason
FROM {dataset}.item_results
WHERE service = @service AND evaluated_at >= @since
  AND previous_status IS NOT NULL AND previous_status <> status
ORDER BY evaluated_at, item_id
"""

RECORD_REPORT = """
UPDATE {dataset}.evaluations SET report_uri = @uri WHERE run_key = @run_key
"""

#: What the service was last held to: a later run is compared with it.
BASELINE = """
SELECT checklist_id, held_checklist, target_level, achieved_rank
FROM {dataset}.evaluations
WHERE service = @service AND evaluated_at <= @as_of AND run_id <> @run_id
ORDER BY evaluated_at DESC, run_id DESC
LIMIT 1
"""

#: The answers recorded for a service's requests (Airflow's), up to a moment.
DECISIONS = """
SELECT request_id, event, actor, occurred_at, valid_until, comment, source
FROM {dataset}.exemption_events
WHERE service = @service AND occurred_at <= @as_of AND event IN ('granted', 'refused')
ORDER BY occurred_at, event_id
"""

EXEMPTION_EVENTS = """
SELECT event_id, service, request_id, item_id, kind, event, actor, occurred_at, valid_until,
       comment, source, run_id, detail
FROM {dataset}.exemption_events
WHERE (@service = '' OR service = @service)
  AND occurred_at >= @since AND occurred_at <= @until
ORDER BY occurred_at, event_id
"""

NOTIFICATIONS = """
SELECT event_id, announcement_id, service, kind, channel, connection_id, run_id, subject,
       occurred_at, sent_at
FROM {dataset}.notifications
WHERE (@service = '' OR service = @service) AND occurred_at >= @since
ORDER BY occurred_at, event_id
"""

VERDICTS = """
SELECT *
FROM {dataset}.verdicts
WHERE (@service = '' OR service = @service)
ORDER BY service, sequence
"""

#: The chain's head and the run's latest verdict in one narrow read: at most two rows, the
#: newest of the run's own verdicts and the newest of the others'.
CHAIN_HEAD = """
SELECT sequence, verdict_sha256, run_id = @run_id AS same_run
FROM {dataset}.verdicts
WHERE service = @service
QUALIFY ROW_NUMBER() OVER (PARTITION BY run_id = @run_id ORDER BY sequence DESC) = 1
"""

#: A batch's chain heads: each service's last verdict, and the last of each of the batch's
#: runs already signed (a re-run supersedes it). Four narrow columns, never the envelopes.
CHAIN_HEADS = """
SELECT service, run_id, sequence, verdict_sha256,
       ROW_NUMBER() OVER (PARTITION BY service ORDER BY sequence DESC) = 1 AS is_head
FROM {dataset}.verdicts
WHERE service IN UNNEST(@services)
QUALIFY ROW_NUMBER() OVER (PARTITION BY service ORDER BY sequence DESC) = 1
     OR (run_id IN UNNEST(@run_ids)
         AND ROW_NUMBER() OVER (PARTITION BY service, run_id ORDER BY sequence DESC) = 1)
"""

#: The latest verdict of each of a batch's runs that has one (a retried transfer).
RUN_VERDICTS = """
SELECT *
FROM {dataset}.verdicts
WHERE service IN UNNEST(@services) AND run_id IN UNNEST(@run_ids)
QUALIFY ROW_NUMBER() OVER (PARTITION BY service, run_id ORDER BY sequence DESC) = 1
"""

RUN_VERDICT = """
SELECT *
FROM {dataset}.verdicts
WHERE service = @service AND run_id = @run_id
ORDER BY sequence DESC
LIMIT 1
"""

VERDICT_AT = """
SELECT *
FROM {dataset}.verdicts
WHERE service = @service AND evaluated_at <= @at
ORDER BY evaluated_at DESC, sequence DESC
LIMIT 1
"""

VERIFY_EVALUATIONS = """
SELECT run_id, evaluated_at, achieved_level, target_level, checklist_id, checklist_sha256,
       spec_sha256
FROM {dataset}.evaluations
WHERE (@service = '' OR service = @service) AND evaluated_at >= @since
ORDER BY service, evaluated_at, run_id
"""

VERIFY_ITEMS = """
SELECT run_id, item_id, status, effective_status, reason, evidence_uri, evidence_sha256
FROM {dataset}.item_results
WHERE (@service = '' OR service = @service) AND evaluated_at >= @since
"""

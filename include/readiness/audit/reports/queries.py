"""The quarterly report's reads, in GoogleSQL like every history read (translated for DuckDB),
so the report works on BigQuery and DuckDB alike. ``@start`` / ``@end`` bound the period;
every filter names ``evaluated_at`` so BigQuery reads only the partitions it needs."""

from __future__ import annotations

_EVAL_COLUMNS = """service, run_id, run_key, evaluated_at, trigger, achieved_level, achieved_rank,
       target_level, target_rank, regressions, exemptions"""

EVALUATIONS = f"""
SELECT {_EVAL_COLUMNS}
FROM {{dataset}}.evaluations
WHERE evaluated_at >= @start AND evaluated_at < @end
ORDER BY service, evaluated_at, run_id
"""

#: The evaluation in force when the period starts (each service's last one before it).
BEFORE_START = f"""
SELECT {_EVAL_COLUMNS}
FROM {{dataset}}.evaluations
WHERE evaluated_at < @start
QUALIFY ROW_NUMBER() OVER (PARTITION BY service ORDER BY evaluated_at DESC, run_id DESC) = 1
"""

#: Per item, the time it spent failing within the period (each evaluation holds until the
#: next one, clipped to [@start, @end)), its status in the period's last evaluation, and the
#: start of a failing streak still running then. Aggregated in the warehouse: a portfolio's
#: quarter is millions of item rows, the answer a few per service.
FAILING_TIME = """
WITH runs AS (
  SELECT service, run_id, evaluated_at,
         LEAD(evaluated_at) OVER (PARTITION BY service ORDER BY evaluated_at, run_id) AS next_at
  FROM {dataset}.evaluations
  WHERE evaluated_at >= @since AND evaluated_at < @end
),
states AS (
  SELECT r.service, r.item_id, r.title, r.required_from, r.required_rank,
         r.effective_status, r.evaluated_at,
         r.effective_status NOT IN {satisfied} AS failing,
         GREATEST(TIMESTAMP_DIFF(LEAST(COALESCE(h.next_at, @end), @end),
                                 GREATEST(h.evaluated_at, @start), MICROSECOND), 0) AS held_us,
         FIRST_VALUE(r.effective_status) OVER (
           PARTITION BY r.service, r.item_id ORDER BY r.evaluated_at DESC, r.run_id DESC
         ) AS status_at_end
  FROM {dataset}.item_results AS r
  JOIN runs AS h ON h.run_id = r.run_id AND h.service = r.service
  WHERE r.evaluated_at >= @since AND r.evaluated_at < @end
),
marked AS (
  SELECT *,
         MAX(CASE WHEN NOT failing THEN evaluated_at END)
           OVER (PARTITION BY service, item_id) AS last_satisfied_at
  FROM states
)
SELECT service, item_id, ANY_VALUE(title) AS title, ANY_VALUE(required_from) AS required_from,
       MIN(required_rank) AS required_rank, ANY_VALUE(status_at_end) AS status_at_end,
       SUM(CASE WHEN failing THEN held_us ELSE 0 END) AS failing_us,
       MIN(CASE WHEN failing AND (last_satisfied_at IS NULL OR evaluated_at > last_satisfied_at)
                THEN evaluated_at END) AS failing_since
FROM marked
GROUP BY service, item_id
HAVING SUM(CASE WHEN failing THEN held_us ELSE 0 END) > 0
ORDER BY service, failing_us DESC, required_rank, item_id
"""

#: Regression episodes that were open at some point of the period: when each regressed,
#: when it was satisfied again (pass, waived or not applicable), and its issue.
EPISODES = """
SELECT ep.service, ep.item_id, ep.episode_id, ep.title, ep.severity, ep.required_from,
       ep.opened_at, MIN(r.evaluated_at) AS closed_at, ANY_VALUE(i.issue_key) AS issue_key
FROM (
  SELECT service, item_id, episode_id, ANY_VALUE(title) AS title,
         ANY_VALUE(severity) AS severity, ANY_VALUE(required_from) AS required_from,
         MIN(evaluated_at) AS opened_at, MAX(evaluated_at) AS last_failing_at
  FROM {dataset}.item_results
  WHERE episode_id IS NOT NULL AND evaluated_at < @end
  GROUP BY service, item_id, episode_id
) AS ep
LEFT JOIN {dataset}.item_results AS r
  ON r.service = ep.service AND r.item_id = ep.item_id
  AND r.evaluated_at > ep.last_failing_at AND r.evaluated_at < @end
  AND r.effective_status IN {satisfied}
LEFT JOIN {dataset}.issue_links AS i ON i.episode_id = ep.episode_id
GROUP BY ep.service, ep.item_id, ep.episode_id, ep.title, ep.severity, ep.required_from,
         ep.opened_at
HAVING ep.opened_at >= @start OR MIN(r.evaluated_at) IS NULL OR MIN(r.evaluated_at) >= @start
ORDER BY ep.service, ep.opened_at, ep.item_id
"""

#: What each service's last evaluation of the period knew: waivers in force and the
#: sign-offs behind every attestation item (their rows are in ``observed``). One query for
#: the whole portfolio; ``@since`` (the oldest of those evaluations) bounds the partitions.
LAST_RUN_ITEMS = """
SELECT r.service, r.item_id, r.title, r.evidence_kind, r.effective_status, r.waiver, r.observed,
       r.spec_override
FROM {dataset}.item_results AS r
JOIN (
  SELECT service, run_id, evaluated_at
  FROM {dataset}.evaluations
  WHERE evaluated_at >= @since AND evaluated_at < @end
  QUALIFY ROW_NUMBER() OVER (PARTITION BY service ORDER BY evaluated_at DESC, run_id DESC) = 1
) AS last ON last.run_id = r.run_id AND last.evaluated_at = r.evaluated_at
WHERE r.evaluated_at >= @since AND r.evaluated_at < @end
  AND (r.waiver IS NOT NULL OR r.evidence_kind = 'attestation' OR r.spec_override IS NOT NULL)
ORDER BY r.service, r.item_id
"""

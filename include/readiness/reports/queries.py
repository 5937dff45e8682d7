"""The quarterly report's reads, in GoogleSQL like every history read (translated for DuckDB),
so the report works on BigQuery and DuckDB alike. ``@start`` / ``@end`` bound the period;
every filter names ``evaluated_at`` so BigQuery reads only the partitions it needs."""

from __future__ import annotations

_EVAL_COLUMNS = """service, run_id, run_key, evaluated_at, trigger, achieved_level, achieved_rank,
       target_level, target_rank, regressions"""

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

ITEM_STATES = """
SELECT service, run_id, item_id, title, required_from, required_rank, effective_status,
       evaluated_at
FROM {dataset}.item_results
WHERE evaluated_at >= @since AND evaluated_at < @end
ORDER BY service, evaluated_at, run_id, item_id
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
  AND r.effective_status IN ('pass', 'waived', 'not_applicable')
LEFT JOIN {dataset}.issue_links AS i ON i.episode_id = ep.episode_id
GROUP BY ep.service, ep.item_id, ep.episode_id, ep.title, ep.severity, ep.required_from,
         ep.opened_at
HAVING ep.opened_at >= @start OR MIN(r.evaluated_at) IS NULL OR MIN(r.evaluated_at) >= @start
ORDER BY ep.service, ep.opened_at, ep.item_id
"""

#: What the last evaluation of the period knew: waivers in force and the sign-offs behind
#: every attestation item (their rows are in ``observed``).
LAST_RUN_ITEMS = """
SELECT item_id, title, evidence_kind, effective_status, waiver, observed
FROM {dataset}.item_results
WHERE run_id = @run_id AND evaluated_at = @evaluated_at
  AND (waiver IS NOT NULL OR evidence_kind = 'attestation')
ORDER BY item_id
"""

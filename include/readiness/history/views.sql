-- Compliance views, written once in GoogleSQL (BigQuery) and translated for DuckDB by
-- sqlglot. `{dataset}` is the configured dataset. Each statement is one view.
-- Ordering ties are broken by run_id so both backends pick the same row.

-- The latest status of every item of every service.
CREATE OR REPLACE VIEW {dataset}.latest_item_status AS
SELECT r.service, r.item_id, r.section, r.title, r.required_from, r.severity, r.status,
       r.effective_status, r.previous_status, r.regressed, r.episode_id, r.reason,
       r.evidence_uri, r.evidence_sha256, r.evidence_observed_at, r.evaluated_at, r.run_id
FROM {dataset}.item_results AS r
QUALIFY ROW_NUMBER() OVER (PARTITION BY r.service, r.item_id
                           ORDER BY r.evaluated_at DESC, r.run_id DESC) = 1;

-- The level of every service on every day it was evaluated (the day's last evaluation).
CREATE OR REPLACE VIEW {dataset}.service_level_daily AS
SELECT e.service, DATE(e.evaluated_at) AS day, e.achieved_level, e.achieved_rank,
       e.target_level, e.target_rank, e.achieved_rank < e.target_rank AS below_target,
       e.run_id, e.evaluated_at
FROM {dataset}.evaluations AS e
QUALIFY ROW_NUMBER() OVER (PARTITION BY e.service, DATE(e.evaluated_at)
                           ORDER BY e.evaluated_at DESC, e.run_id DESC) = 1;

-- Every change of achieved level (the first evaluation of a service counts as one).
CREATE OR REPLACE VIEW {dataset}.level_changes AS
SELECT service, evaluated_at, run_id, from_level, achieved_level AS to_level,
       CASE WHEN from_rank IS NULL THEN 'initial'
            WHEN achieved_rank < from_rank THEN 'downgrade'
            ELSE 'upgrade' END AS direction
FROM (
  SELECT e.service, e.evaluated_at, e.run_id, e.achieved_level, e.achieved_rank,
         LAG(e.achieved_level) OVER (PARTITION BY e.service
                                     ORDER BY e.evaluated_at, e.run_id) AS from_level,
         LAG(e.achieved_rank) OVER (PARTITION BY e.service
                                    ORDER BY e.evaluated_at, e.run_id) AS from_rank
  FROM {dataset}.evaluations AS e
) AS t
WHERE from_rank IS NULL OR from_rank <> achieved_rank;

-- Regressions still failing in the latest evaluation, with their age and issue.
CREATE OR REPLACE VIEW {dataset}.open_regressions AS
SELECT l.service, l.item_id, l.title, l.required_from, l.severity, l.effective_status,
       l.reason, ep.regressed_at, l.evaluated_at AS last_evaluated_at,
       DATE_DIFF(DATE(l.evaluated_at), DATE(ep.regressed_at), DAY) AS age_days,
       i.issue_key, i.url AS issue_url, i.state AS issue_state
FROM {dataset}.latest_item_status AS l
JOIN (
  SELECT service, item_id, episode_id, MIN(evaluated_at) AS regressed_at
  FROM {dataset}.item_results
  WHERE episode_id IS NOT NULL
  GROUP BY service, item_id, episode_id
) AS ep ON ep.service = l.service AND ep.item_id = l.item_id AND ep.episode_id = l.episode_id
LEFT JOIN {dataset}.issue_links AS i ON i.episode_id = l.episode_id
WHERE l.effective_status IN {failing};

-- Time each service spent below its target level, per quarter. Each evaluation holds
-- until the next one; the latest evaluation holds for no time yet.
CREATE OR REPLACE VIEW {dataset}.time_below_target AS
SELECT service,
       CONCAT(CAST(EXTRACT(YEAR FROM evaluated_at) AS STRING), 'Q',
              CAST(EXTRACT(QUARTER FROM evaluated_at) AS STRING)) AS quarter,
       COUNT(*) AS evaluations,
       COUNTIF(achieved_rank < target_rank) AS evaluations_below_target,
       SUM(CASE WHEN achieved_rank < target_rank THEN COALESCE(held_seconds, 0) ELSE 0 END)
         AS seconds_below_target,
       SUM(COALESCE(held_seconds, 0)) AS seconds_observed
FROM (
  SELECT e.service, e.evaluated_at, e.achieved_rank, e.target_rank,
         TIMESTAMP_DIFF(LEAD(e.evaluated_at) OVER (PARTITION BY e.service
                                                   ORDER BY e.evaluated_at, e.run_id),
                        e.evaluated_at, SECOND) AS held_seconds
  FROM {dataset}.evaluations AS e
) AS t
GROUP BY service, quarter;

-- Which evidence (URI + sha256) decided each item of each evaluation.
CREATE OR REPLACE VIEW {dataset}.evidence_trail AS
SELECT r.run_id, r.service, r.item_id, r.status, r.reason, r.evidence_kind, r.evidence_uri,
       r.evidence_sha256, r.evidence_observed_at, r.evidence_fetched_at, r.evaluated_at,
       e.trigger, e.dag_id, e.dag_run_id, e.checklist_id, e.checklist_sha256, e.spec_sha256
FROM {dataset}.item_results AS r
JOIN {dataset}.evaluations AS e ON e.run_id = r.run_id;

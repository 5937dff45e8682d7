"""What the tasks do when they run: thin wrappers that turn the Airflow context into the
library's arguments (as-of time, run key, trigger) and call ``readiness.pipeline.stages``.

Nothing here touches the metadata DB: Airflow 3 tasks talk only to the Task Execution API,
so everything a task needs comes from its context, its XCom inputs and the project files."""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from readiness.history import RunMeta
from readiness.spec.config import Settings, load_settings

log = logging.getLogger(__name__)

#: Airflow run types, as the ``trigger`` column of history names them.
#: Airflow run type → history's trigger; an asset-triggered run ran on an evidence event.
_TRIGGERS = {"scheduled": "scheduled", "backfill": "scheduled", "asset_triggered": "event"}
QUARTERLY = "quarterly"


class TransientCollectionError(RuntimeError):
    """A source could not be reached; the task fails so Airflow retries it with backoff."""


#: Where tasks append one JSON line of their CPU figures (``bench/production_path.py``).
METRICS_ENV = "READINESS_TASK_METRICS"


@contextmanager
def task_metrics(stage: str, service: str) -> Iterator[None]:
    """CPU of this task process: before the task's code (fork, DAG parse, task start) and
    in it, with the Great Expectations import apart. Logged at debug; appended to the file
    ``READINESS_TASK_METRICS`` names, for the production-path benchmark."""
    before = time.process_time()
    try:
        yield
    finally:
        spent = time.process_time() - before
        from readiness.pipeline import validation

        figures = {
            "stage": stage,
            "service": service,
            "pid": os.getpid(),
            "before_task_s": round(before, 4),
            "task_s": round(spent, 4),
            "gx_import_s": round(validation.GX_IMPORT_CPU_S, 4),
        }
        log.debug("READINESS cpu %s", figures)
        path = os.environ.get(METRICS_ENV)
        if path:
            with open(path, "a", encoding="utf-8") as sink:
                sink.write(json.dumps(figures) + "\n")


def settings() -> Settings:
    return load_settings()


def as_of(context: Mapping[str, Any]) -> datetime:
    """The moment a run evaluates: its logical date (so a backfill or ``airflow dags test
    <dag> <date>`` evaluates as of that date), else when it was triggered."""
    dag_run = context["dag_run"]
    moment = context.get("logical_date") or dag_run.run_after
    return datetime.fromisoformat(moment.isoformat())  # plain datetime, not pendulum


def run_meta(context: Mapping[str, Any], trigger: str | None = None) -> RunMeta:
    """The Airflow run as history records it. The run key is the Airflow run id, so a
    retried or cleared task of the same run replaces that run's rows and issues."""
    dag_run = context["dag_run"]
    run_type = str(getattr(dag_run.run_type, "value", dag_run.run_type))
    chosen = trigger or _TRIGGERS.get(run_type, "manual")
    key = dag_run.run_id if chosen != QUARTERLY else f"{QUARTERLY}:{dag_run.run_id}"
    logical = context.get("logical_date")
    return RunMeta(
        run_key=key,
        trigger=chosen,
        logical_date=datetime.fromisoformat(logical.isoformat()) if logical else None,
        dag_id=dag_run.dag_id,
        dag_run_id=dag_run.run_id,
    )


def collect_source(
    service: str, source: str, context: Mapping[str, Any], *, final_try: bool
) -> dict[str, dict[str, Any]]:
    """The evidence of every item read from one source. A source that could not be reached
    fails the task (Airflow retries it with backoff, on its own) until the last try, which
    records its items as ``error`` so the run still scores; bad content is never retried,
    it is a finding."""
    from readiness.pipeline.stages import ServiceStages
    from readiness_airflow.hooks import connection_credentials

    stages = ServiceStages(settings(), service)
    collected = stages.collect(source, as_of(context), connection_credentials)
    unreachable = {k: v["error"] for k, v in collected.items() if v.get("transient")}
    errors = {k: v["error"] for k, v in collected.items() if v["error"]}
    for error, item_ids in _by_error(errors).items():
        log.warning("%s %s %s: %s", service, source, ", ".join(item_ids), error)
    if unreachable and not final_try:
        raise TransientCollectionError(
            f"{service} source {source}: {len(unreachable)} item(s) unreachable "
            f"({', '.join(sorted(unreachable))}); retrying"
        )
    log.info(
        "%s source %s: %d item(s) collected, %d with errors",
        service,
        source,
        len(collected),
        len(errors),
    )
    return collected


def _by_error(errors: Mapping[str, str]) -> dict[str, list[str]]:
    """Items grouped by their error: an outage is one log line naming every item it hit,
    not one line per item with the same cause."""
    grouped: dict[str, list[str]] = {}
    for item_id, error in sorted(errors.items()):
        grouped.setdefault(error, []).append(item_id)
    return grouped


def source_label(service: str, source: str, collected: Mapping[str, Mapping[str, Any]]) -> str:
    """What the grid shows for a source's collection task."""
    errors = sum(1 for v in collected.values() if v["error"])
    missing = sum(1 for v in collected.values() if not v["found"])
    text = f"{source}: {len(collected)} collected"
    if missing:
        text += f", {missing} missing"
    if errors:
        text += f", {errors} error"
    return text


def score(
    service: str,
    collected: Iterable[Mapping[str, Mapping[str, Any]]],
    context: Mapping[str, Any],
    trigger: str | None = None,
) -> dict[str, Any]:
    """Validate with Great Expectations and score; logs the outcome first thing."""
    from readiness.pipeline.stages import ServiceStages, headline, outcome

    stages = ServiceStages(settings(), service)
    meta = run_meta(context, trigger)
    evaluation, warnings = stages.score(list(collected), as_of(context), meta.run_key)
    ev = stages.load(evaluation)
    log.info("READINESS %s", headline(outcome(ev)))
    for warning in warnings:
        log.warning(warning)
    for result in ev.items:
        if not result.satisfied:
            log.info(
                "  %-6s %-8s %s: %s",
                result.item.id,
                result.effective_status.value,
                result.required_from,
                result.reason,
            )
    return evaluation


def record(
    service: str, evaluation: Mapping[str, Any], context: Mapping[str, Any], trigger: str | None
) -> dict[str, Any]:
    from readiness.pipeline.stages import ServiceStages, headline
    from readiness_airflow.hooks import connection_credentials

    stages = ServiceStages(settings(), service)
    # the signing key comes from connection readiness_verdict_key (a secrets backend)
    result = stages.record(evaluation, run_meta(context, trigger), connection_credentials)
    log.info("READINESS recorded %s", headline(result))
    return result


def sync(
    service: str, evaluation: Mapping[str, Any], *, quarterly: bool = False
) -> dict[str, list[str]]:
    """Issue sync; anything the tracker did not take fails the task after logging, so it is
    retried (idempotently) and an SRE sees it, and the next run sends it anyway."""
    from readiness.pipeline.stages import ServiceStages

    config = settings()
    stages = ServiceStages(config, service)
    report = stages.sync(evaluation, _tracker(config), quarterly=quarterly)
    log.info(
        "issues for %s: opened %s, commented %s, closed %s",
        service,
        report["opened"] or "-",
        report["commented"] or "-",
        report["closed"] or "-",
    )
    if report["error"]:
        raise RuntimeError(f"issue sync for {service} stopped: {report['error']}")
    if report["failed"]:
        raise RuntimeError(
            f"issue sync for {service}: tracker did not take {', '.join(report['failed'])}; "
            "kept pending for the retry and the next run"
        )
    return report


def _tracker(config: Settings) -> Any:
    from readiness.trackers import TRACKERS, open_tracker
    from readiness_airflow.hooks import TrackerHook

    # a tracker with a connection gets its credentials from it (or its environment variable)
    has_connection = TRACKERS[config.tracker].connection is not None
    options = TrackerHook(config.tracker).tracker_options() if has_connection else {}
    return open_tracker(config, **options)


def close_retired_services(context: Mapping[str, Any]) -> dict[str, list[str]]:
    """Close the open issues of services no spec names any more (the CLI's whole-fleet
    run does the same); what the tracker did not take fails the task, to be retried."""
    from readiness.history import history_for
    from readiness.pipeline.engine import retire
    from readiness.pipeline.run_report import RunReport
    from readiness.spec.loader import load_catalog

    config = settings()
    moment = as_of(context)
    meta = run_meta(context, QUARTERLY)
    report = RunReport(run_key=meta.run_key, as_of=moment, dry_run=False)
    catalog = load_catalog(config.checklist_paths, config.service_paths)
    closed = retire(history_for(config), _tracker(config), catalog, moment, meta.run_key, report)
    for warning in report.warnings:
        log.warning("READINESS %s", warning)
    if closed.failed:
        raise RuntimeError(f"retired services: tracker did not take {', '.join(closed.failed)}")
    return {"closed": closed.closed}


def quarterly_report(context: Mapping[str, Any]) -> dict[str, str]:
    """The report of the quarter before the run's logical date, recorded on this run."""
    from readiness.audit.reports import write_quarter_report
    from readiness.history import history_for
    from readiness.spec.loader import load_catalog_cached
    from readiness.support.timeutil import previous_quarter_label

    config = settings()
    moment = as_of(context)
    label = previous_quarter_label(moment.date())
    meta = run_meta(context, QUARTERLY)
    written = write_quarter_report(
        history_for(config),
        label,
        config.reports,
        config.project_root,
        now=moment,
        run_key=meta.run_key,
        catalog=load_catalog_cached(config.checklist_paths, config.service_paths),
    )
    log.info("READINESS quarterly report %s: %s", label, ", ".join(written.files.values()))
    return {"quarter": label, "uri": written.uri}

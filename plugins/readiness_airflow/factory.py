"""Builds the DAGs from the service specs: one evaluation DAG per service, one DAG per broken
spec that fails with the spec's problems, and the quarterly revalidation DAG.

Parse-time work is YAML and pydantic only (``readiness.spec.loader``); Great Expectations,
pandas and the Google clients are imported inside the tasks, when they run."""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from airflow.sdk import DAG, Asset, AssetAlias, get_current_context, task
from airflow.sdk.definitions.callback import AsyncCallback
from airflow.sdk.definitions.deadline import DeadlineAlert, DeadlineReference

from readiness.domain.model import Checklist, ServiceSpec
from readiness.domain.ticks import spread_tick
from readiness.spec.checklist_doc import checklist_markdown
from readiness.spec.config import Settings, load_settings
from readiness.spec.loader import Catalog, load_catalog, load_service_catalog_cached
from readiness.spec.overrides import sources
from readiness.support.errors import ConfigError, Problem
from readiness_airflow.parsing import warn_near_import_timeout
from readiness_airflow.retention import RETENTION_DAG_ID, retention_dag
from readiness_airflow.transfer import TRANSFER_DAG_ID, transfer_dag

log = logging.getLogger(__name__)

PREFIX = "readiness__"
QUARTERLY_DAG_ID = f"{PREFIX}quarterly_revalidation"
QUARTERLY_SCHEDULE = "0 6 1 1,4,7,10 *"
EXEMPTIONS_DAG_ID = f"{PREFIX}exemptions"
#: DAG ids the factory builds itself: no service may take one.
RESERVED_DAG_IDS = (EXEMPTIONS_DAG_ID, RETENTION_DAG_ID, TRANSFER_DAG_ID)
#: Requests are looked for hourly: a new one waits at most an hour to reach its approvers.
EXEMPTIONS_SCHEDULE = "7 * * * *"
START = datetime(2026, 1, 1, tzinfo=UTC)
HISTORY_ALIAS = "readiness_history"

#: Collection talks to outside systems: retried with exponential backoff.
COLLECT_RETRIES = dict(
    retries=3,
    retry_delay=timedelta(seconds=30),
    retry_exponential_backoff=2.0,
    max_retry_delay=timedelta(minutes=10),
)
#: Issue sync talks to the tracker; the next run re-sends anything left pending anyway.
SYNC_RETRIES = dict(
    retries=2,
    retry_delay=timedelta(minutes=1),
    retry_exponential_backoff=2.0,
    max_retry_delay=timedelta(minutes=10),
)


#: How often each evidence watcher asks Redis for a message: an event waits at most this.
EVENT_POLL_S = 1.0


def evidence_asset(service: str) -> Asset:
    """Updated when evidence lands for the service: an AssetWatcher with the common-messaging
    ``MessageQueueTrigger`` on the service's own Redis pub/sub channel
    (``readiness.evidence.events``), so its events run its DAG and no other. A burst is one
    run: the watcher fires on the first message and Airflow queues one run per DAG however
    many events arrive before it starts."""
    from airflow.providers.common.messaging.triggers.msg_queue import MessageQueueTrigger
    from airflow.sdk import AssetWatcher

    from readiness.evidence.events import channel
    from readiness_airflow.local import EVENTS_CONN_ID

    trigger = MessageQueueTrigger(
        scheme="redis+pubsub",
        channels=[channel(service)],
        redis_conn_id=EVENTS_CONN_ID,
        poll_interval=EVENT_POLL_S,
    )
    return Asset(
        name=f"readiness_evidence.{service}",
        uri=f"readiness://evidence/{service}",
        watchers=[AssetWatcher(name=f"readiness_evidence_{service}", trigger=trigger)],
    )


def _schedule(spec: ServiceSpec, events: bool, spread_minutes: int = 0) -> Any:
    """The spec's cron (moved by the service's offset, ``tick_spread_minutes``), and with
    evidence events also the service's evidence asset."""
    cron = spread_tick(spec.schedule, spec.service, spread_minutes)
    if not events:
        return cron
    from airflow.sdk import AssetOrTimeSchedule, CronTriggerTimetable

    return AssetOrTimeSchedule(
        timetable=CronTriggerTimetable(cron, timezone="UTC"),
        assets=[evidence_asset(spec.service)],
    )


def dag_id_for(service: str) -> str:
    return f"{PREFIX}{service}"


def history_asset(service: str) -> Asset:
    """Updated each time a run of the service is recorded; the event's ``extra`` carries
    the outcome (level achieved / target / previous, regressions)."""
    return Asset(name=f"readiness_history.{service}", uri=f"readiness://history/{service}")


# --------------------------------------------------------------------------- tasks


def _final_try() -> bool:
    ti = get_current_context()["ti"]
    return bool(ti.try_number > ti.max_tries)


@task(  # type: ignore[call-overload]
    map_index_template="{{ readiness_label }}", show_return_value_in_logs=False, **COLLECT_RETRIES
)
def collect(service: str, source: str) -> dict[str, dict[str, Any]]:
    """Evidence from one source (one mapped task per source: the evidence store, the
    repository, each live API), so a failing source is retried on its own."""
    from readiness_airflow import runtime

    context = get_current_context()
    context["readiness_label"] = source  # type: ignore[typeddict-unknown-key]
    with runtime.task_metrics("collect", service):
        collected = runtime.collect_source(service, source, context, final_try=_final_try())
    context["readiness_label"] = runtime.source_label(  # type: ignore[typeddict-unknown-key]
        service, source, collected
    )
    return collected


@task(show_return_value_in_logs=False)
def score(service: str, collected: list[dict[str, dict[str, Any]]]) -> dict[str, Any]:
    """Great Expectations validation and the level rule; writes nothing."""
    from readiness_airflow import runtime

    # One slice is one request for every source's XCom (iterating asks item by item and
    # logs a 404 for the one past the end).
    with runtime.task_metrics("score", service):
        return runtime.score(service, list(collected[:]), get_current_context())


#: History may be briefly unreachable (BigQuery); a write replaces the run's own rows, so
#: retrying it is safe.
RECORD_RETRIES = dict(
    retries=3,
    retry_delay=timedelta(seconds=30),
    retry_exponential_backoff=2.0,
    max_retry_delay=timedelta(minutes=10),
)


@task(**RECORD_RETRIES)  # type: ignore[call-overload]
def record(service: str, evaluation: dict[str, Any]) -> dict[str, Any]:
    """Appends the run to history (replacing this run's rows on a re-run) and emits the
    history Asset event with the outcome."""
    from readiness_airflow import runtime

    context = get_current_context()
    with runtime.task_metrics("record", service):
        result = runtime.record(service, evaluation, context, None)
    context["outlet_events"][history_asset(service)].extra = result
    return result


@task(**SYNC_RETRIES)  # type: ignore[call-overload]
def sync_issues(service: str, evaluation: dict[str, Any]) -> dict[str, list[str]]:
    """Opens, comments on and closes the service's issues (outbox or Linear)."""
    from readiness_airflow import runtime

    with runtime.task_metrics("sync_issues", service):
        return runtime.sync(service, evaluation)


@task(trigger_rule="all_done", **SYNC_RETRIES)  # type: ignore[call-overload]
def announce(service: str, evaluation: dict[str, Any]) -> dict[str, list[str]]:
    """Tells the team (Slack, e-mail) of a downgrade, a recovery or a pre-lapse notice,
    each once. Runs after issue sync however it ended (a notice it opened is announced,
    a downgrade is announced even if the tracker was down); a run not recorded announces
    nothing."""
    from readiness_airflow import notify

    return notify.announce(service, evaluation)


def late_alert(spec: ServiceSpec, minutes: int) -> DeadlineAlert:
    """Airflow's Deadline Alert: the run has not succeeded ``minutes`` after its logical
    date (its cron tick); the callback runs in the triggerer (``notify.late_run_alert``)."""
    return DeadlineAlert(
        reference=DeadlineReference.DAGRUN_LOGICAL_DATE,
        interval=timedelta(minutes=minutes),
        callback=AsyncCallback(
            "readiness_airflow.notify.late_run_alert",
            kwargs={"service": spec.service, "deadline_minutes": minutes},
        ),
        name="readiness_late_run",
    )


@task(map_index_template="{{ readiness_label }}", **SYNC_RETRIES)  # type: ignore[call-overload]
def revalidate(service: str) -> dict[str, Any]:
    """One service's whole run with trigger ``quarterly``, in one task."""
    from readiness.pipeline.stages import ServiceStages, headline
    from readiness_airflow import runtime

    context = get_current_context()
    context["readiness_label"] = service  # type: ignore[typeddict-unknown-key]
    stages = ServiceStages(runtime.settings(), service)
    collected = [
        runtime.collect_source(service, s.id, context, final_try=True) for s in stages.sources
    ]
    evaluation = runtime.score(service, collected, context, trigger=runtime.QUARTERLY)
    result = runtime.record(service, evaluation, context, runtime.QUARTERLY)
    context["outlet_events"][AssetAlias(HISTORY_ALIAS)].add(history_asset(service), extra=result)
    issues = runtime.sync(service, evaluation, quarterly=True)
    context["readiness_label"] = headline(result)  # type: ignore[typeddict-unknown-key]
    return {**result, "issues": issues}


@task(**RECORD_RETRIES)  # type: ignore[call-overload]
def quarterly_report() -> dict[str, str]:
    """The report of the quarter that just ended, written to the report store; this run's
    evaluations record its URI. Runs once every service has been revalidated (or failed)."""
    from readiness_airflow import runtime

    return runtime.quarterly_report(get_current_context())


@task(**SYNC_RETRIES)  # type: ignore[call-overload]
def close_retired_services() -> dict[str, list[str]]:
    """Closes the open issues of every service no spec names any more, saying why."""
    from readiness_airflow import runtime

    return runtime.close_retired_services(get_current_context())


@task(retries=2, retry_delay=timedelta(minutes=1))
def requests_awaiting() -> list[dict[str, Any]]:
    """The exemption requests that wait for a decision, one approval each."""
    from readiness_airflow.approvals import requests_awaiting as awaiting

    return awaiting(get_current_context())


@task(retries=0)
def spec_problems(file: str, problems: list[str]) -> None:
    """Stands in for a service whose spec does not load: fails with what is wrong."""
    raise ConfigError([Problem(file, "", p) for p in problems])


# --------------------------------------------------------------------------- DAGs


def _owner_links(spec: ServiceSpec) -> dict[str, str]:
    links = spec.owner_links
    first = links.get("slack") or links.get("runbook") or next(iter(links.values()), None)
    return {spec.owner_team: first} if first else {}


def _delays(retry_delay_s: int | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Task overrides for the ``task_retry_delay_s`` setting: the first retry delay of
    collect and record, and twice that for issue sync; none keeps the decorators' own."""
    if retry_delay_s is None:
        return {}, {}
    first = timedelta(seconds=max(0, retry_delay_s))
    return {"retry_delay": first}, {"retry_delay": 2 * first}


def service_dag(
    spec: ServiceSpec,
    checklist: Checklist,
    live: bool = False,
    history_pool: str = "",
    retry_delay_s: int | None = None,
    deadline_minutes: int = 0,
    events: bool = False,
    tick_spread_minutes: int = 0,
) -> DAG:
    with DAG(
        dag_id=dag_id_for(spec.service),
        deadline=late_alert(spec, deadline_minutes) if deadline_minutes > 0 else None,
        description=(
            f"Readiness of {spec.service} against {checklist.id} (target {spec.target_level})"
        ),
        schedule=_schedule(spec, events, tick_spread_minutes),
        start_date=START,
        catchup=False,
        max_active_runs=1,
        dagrun_timeout=timedelta(hours=2),
        tags=["readiness", f"service:{spec.service}", f"team:{spec.owner_team}"],
        owner_links=_owner_links(spec),
        doc_md=checklist_markdown(spec, checklist),
        default_args={"owner": spec.owner_team},
    ) as dag:
        delay, sync_delay = _delays(retry_delay_s)
        collected = (
            collect.override(**delay)
            .partial(service=spec.service)
            .expand(source=sources(checklist, spec, live))
        )
        evaluation: Any = score(spec.service, collected)  # an XComArg at parse time
        pool = {"pool": history_pool} if history_pool else {}
        recorded = record.override(outlets=[history_asset(spec.service)], **pool, **delay)(
            spec.service, evaluation
        )
        synced = sync_issues.override(**sync_delay)(spec.service, evaluation)
        recorded >> synced
        if spec.notify.named():
            synced >> announce.override(**sync_delay)(spec.service, evaluation)
    return dag


def broken_spec_dag(file: str, problems: list[Problem], dag_id: str) -> DAG:
    """A spec that does not load still gets its DAG, whose only task fails with the
    problems, so the SRE sees it where the service's runs would be."""
    messages = [str(p) for p in problems]
    doc = "# Broken service spec\n\n" + "\n".join(f"- `{m}`" for m in messages)
    with DAG(
        dag_id=dag_id,
        description=f"{file} does not load: {messages[0] if messages else 'unknown problem'}",
        schedule="@daily",
        start_date=START,
        catchup=False,
        tags=["readiness", "broken-spec"],
        doc_md=doc,
    ) as dag:
        spec_problems(file, messages)
    return dag


def quarterly_dag(services: list[str], retry_delay_s: int | None = None) -> DAG:
    with DAG(
        dag_id=QUARTERLY_DAG_ID,
        description="Quarterly revalidation of every service (trigger=quarterly)",
        schedule=QUARTERLY_SCHEDULE,
        start_date=START,
        catchup=False,
        max_active_runs=1,
        tags=["readiness", "quarterly"],
        doc_md=(
            "# Quarterly revalidation\n\nEvaluates every service on the first day of each "
            "quarter with `trigger = quarterly`, so sign-offs that expire with the quarter "
            "are re-checked and the run is marked in history. Each service gets one "
            "`quarterly-revalidation` issue listing the sign-offs to renew; then "
            "`quarterly_report` writes the report of the quarter that just ended (Markdown "
            "and HTML) to the report store, and `close_retired_services` closes the open "
            "issues of services no spec names any more.\n\n"
            + "\n".join(f"- `{s}`" for s in services)
        ),
        default_args={"owner": "readiness"},
    ) as dag:
        delay, sync_delay = _delays(retry_delay_s)
        revalidated = revalidate.override(outlets=[AssetAlias(HISTORY_ALIAS)], **sync_delay).expand(
            service=services
        )
        revalidated >> quarterly_report.override(trigger_rule="all_done", **delay)()
        revalidated >> close_retired_services.override(trigger_rule="all_done", **sync_delay)()
    return dag


def exemptions_dag() -> DAG:
    """One human-in-the-loop approval per exemption request: granted or refused on the
    Required Actions page (or the REST API) by someone the checklist names."""
    from readiness_airflow.approvals import ExemptionApproval

    with DAG(
        dag_id=EXEMPTIONS_DAG_ID,
        description="Exemption requests put to the approvers their checklist names",
        schedule=EXEMPTIONS_SCHEDULE,
        start_date=START,
        catchup=False,
        max_active_runs=24,  # approvals stay open for days; new requests keep coming
        tags=["readiness", "exemptions"],
        doc_md=(
            "# Exemptions\n\nA service spec can only *request* a waiver, a weakening "
            "override, a lower target or another checklist. Every hour this DAG opens one "
            "approval (Required Actions) per request that waits, assigned to the approvers "
            "its checklist's `exemptions:` names, less the requester. A grant by the "
            "requester, or longer than `max_duration`, is refused; every answer is recorded "
            "in history (`exemption_events`), and the service's next run applies it."
        ),
        default_args={"owner": "readiness"},
    ) as dag:
        ExemptionApproval.partial(
            task_id="approve", map_index_template="{{ task.request['id'] }}"
        ).expand_kwargs(requests_awaiting())
    return dag


def _broken_dag_id(file: str, taken: Mapping[str, object]) -> str:
    stem = Path(file).stem
    dag_id = dag_id_for(stem)
    return dag_id if dag_id not in taken else dag_id_for(f"{stem}__broken_spec")


def _service_dag(settings: Settings, catalog: Catalog, spec: ServiceSpec) -> DAG:
    checklist = catalog.checklist_for(spec)
    return service_dag(
        spec,
        checklist,
        settings.live,
        # with the transfer, a record task writes a shard, not the warehouse: no DML slot
        "" if settings.history_transfer else settings.history_write_pool,
        settings.task_retry_delay_s,
        settings.run_deadline_minutes,
        bool(settings.evidence_events),
        settings.tick_spread_minutes,
    )


def dag_being_run() -> str | None:
    """The dag_id a task process parses the DAG file for (None in the dag-processor)."""
    from airflow.sdk import get_parsing_context

    return get_parsing_context().dag_id


def _only_the_dag_being_run(settings: Settings) -> dict[str, DAG] | None:
    """In a task process of a service DAG: that DAG alone, from its own spec and the
    checklists, so parsing costs the same with 2 specs or 1,000. None when the DAG being
    run is not a healthy service DAG (the quarterly DAG maps over every service; a broken
    spec's DAG needs the whole picture): the caller builds everything."""
    wanted = dag_being_run()
    if wanted == EXEMPTIONS_DAG_ID:
        return {wanted: exemptions_dag()}
    if wanted == RETENTION_DAG_ID and settings.metadata_retention_days > 0:
        return {wanted: retention_dag(settings.metadata_retention_days)}
    if wanted == TRANSFER_DAG_ID and settings.history_transfer:
        return {wanted: _transfer_dag(settings)}
    if not wanted or not wanted.startswith(PREFIX) or wanted == QUARTERLY_DAG_ID:
        return None
    service = wanted[len(PREFIX) :]
    catalog = load_service_catalog_cached(settings.checklist_paths, settings.service_paths, service)
    if catalog is None:
        return None
    spec = catalog.specs[service]
    return {wanted: _service_dag(settings, catalog, spec)}


def build_dags(settings: Settings | None = None, catalog: Catalog | None = None) -> dict[str, DAG]:
    """Every readiness DAG by dag_id; in a task process, only the DAG being run. Raises
    ``ConfigError`` only when nothing can be built (no readable settings or checklists):
    that is the DAG file's import error."""
    # Everything on the heap now (Airflow, pydantic, these modules) lives as long as the
    # process. Frozen, it is not re-scanned by each full collection that parsing the YAML
    # triggers: that scan was two thirds of a task's parse time (Airflow's dag-processor
    # and LocalExecutor freeze the same way).
    gc.freeze()
    started = time.monotonic()
    settings = settings or load_settings()
    if catalog is None:
        only = _only_the_dag_being_run(settings)
        if only is not None:
            return only
    catalog = catalog or load_catalog(settings.checklist_paths, settings.service_paths)
    dags: dict[str, DAG] = {}
    broken = dict(catalog.broken_specs)
    for note in catalog.notes:
        log.warning("readiness: %s", note)
    for name, spec in sorted(catalog.specs.items()):
        if dag_id_for(name) in RESERVED_DAG_IDS:
            broken[spec.file] = [
                Problem(spec.file, "service", f"{name!r} is reserved for a DAG of readiness's own")
            ]
            continue
        try:
            dags[dag_id_for(name)] = _service_dag(settings, catalog, spec)
        except Exception as exc:  # e.g. a schedule Airflow rejects: only this DAG breaks
            broken[spec.file] = [
                Problem(spec.file, "schedule", f"Airflow cannot build the DAG: {exc}")
            ]
    for file, problems in sorted(broken.items()):
        log.warning("readiness: %s does not load: %s", file, "; ".join(map(str, problems)))
        dag_id = _broken_dag_id(file, dags)
        dags[dag_id] = broken_spec_dag(file, problems, dag_id)
    healthy = sorted(name for name in catalog.specs if dag_id_for(name) in dags)
    dags[QUARTERLY_DAG_ID] = quarterly_dag(healthy, settings.task_retry_delay_s)
    dags[EXEMPTIONS_DAG_ID] = exemptions_dag()
    if settings.metadata_retention_days > 0:
        dags[RETENTION_DAG_ID] = retention_dag(settings.metadata_retention_days)
    if settings.history_transfer:
        dags[TRANSFER_DAG_ID] = _transfer_dag(settings)
    warn_near_import_timeout(time.monotonic() - started, len(dags))
    return dags


def _transfer_dag(settings: Settings) -> DAG:
    return transfer_dag(
        settings.history_transfer_minutes,
        settings.history_transfer_batch,
        settings.history_write_pool,
    )

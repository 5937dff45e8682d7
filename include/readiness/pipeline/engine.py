"""One evaluation run: collect → validate (GX, batched across services) → score →
record history → sync issues. The CLI and the Airflow tasks both call these functions.

A run never stops for one bad item: collector crashes, broken documents and odd evidence
become that item's ``error`` status, and the rest of the run goes on."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from readiness import trackers
from readiness.collectors import (
    CollectContext,
    CollectRequest,
    CredentialMissing,
    CredentialSource,
    environment_credentials,
    get_collector,
    groups_outages,
    source_of,
)
from readiness.domain.model import (
    SATISFIED,
    Checklist,
    Evidence,
    Item,
    ItemResult,
    PriorItemState,
    ServiceEvaluation,
    ServiceSpec,
    Status,
    Waiver,
)
from readiness.domain.scoring import (
    achieved_level,
    apply_grace,
    episode_id,
    is_regression,
    resolve_status,
)
from readiness.evidence.documents import DocumentError, load_documents
from readiness.evidence.store import (
    EvidenceStore,
    StoreUnavailable,
    open_service_store,
    open_store,
)
from readiness.history import HistoryStore, RunMeta, history_for
from readiness.lifecycle.issues import sync_issues
from readiness.pipeline.run_report import RunReport
from readiness.pipeline.validation import BatchValidator, TaskResult, ValidationTask
from readiness.spec.config import Settings
from readiness.spec.loader import Catalog, load_catalog, substitute
from readiness.spec.overrides import effective_items
from readiness.support import failpoints
from readiness.support.errors import ConfigError, Problem
from readiness.support.timeutil import utcnow
from readiness.trackers import IssueTracker, SyncReport

log = logging.getLogger(__name__)
Progress = Callable[[str, int, int], None]


def run_id_for(service: str, run_key: str) -> str:
    """Derived from the service and the (Airflow or manual) run, so a retry or re-run of the
    same run replaces its own rows."""
    return f"{service}@{run_key}"


def task_key(service: str, item_id: str) -> str:
    """The key of one item of one service in a validation batch."""
    return f"{service}\x1f{item_id}"


def default_run_key(as_of: datetime) -> str:
    return f"manual__{as_of.isoformat()}"


# --------------------------------------------------------------------------- per service


def _confine_evidence_store(settings: Settings, spec: ServiceSpec) -> None:
    """A spec's own local evidence store must lie under the project or the evidence root:
    the document collector copies what it reads into history. Remote stores (``gs://``)
    are governed by the bucket's permissions."""
    uri = spec.evidence_store or ""
    if "://" in uri and not uri.startswith("file://"):
        return
    path = Path(uri.removeprefix("file://"))
    path = (path if path.is_absolute() else settings.project_root / path).resolve()
    roots = [settings.project_root.resolve()]
    evidence_root = settings.evidence_root
    if "://" not in evidence_root or evidence_root.startswith("file://"):
        roots.append(settings.path(evidence_root.removeprefix("file://")).resolve())
    if not any(path == r or path.is_relative_to(r) for r in roots):
        raise ConfigError(
            [
                Problem(
                    spec.file,
                    "evidence.store",
                    f"{uri!r} is outside the project and the evidence root "
                    f"({', '.join(map(str, roots))}); expected a folder under one of them",
                )
            ]
        )


def service_store(settings: Settings, spec: ServiceSpec, as_of: datetime) -> EvidenceStore:
    """The service's evidence store as of a run. On embedded defaults (an evidence root of
    ``samplefeed://``) the sample teams' tooling first catches up to the run's day."""
    deadline = float(settings.source_deadline_s)
    if spec.evidence_store:
        _confine_evidence_store(settings, spec)
        return open_store(spec.evidence_store, settings.project_root, deadline)
    return open_service_store(settings.evidence_root, settings.project_root, spec, as_of, deadline)


def _runtime_names(spec: ServiceSpec, item: Item, store: EvidenceStore) -> dict[str, Any]:
    names: dict[str, Any] = {
        "service": spec.service,
        "item": item.id,
        "store": store.root,
        "repo": spec.repo or "",
    }
    names.update({f"locations.{k}": v for k, v in spec.locations.items()})
    return names


def collect_context(
    settings: Settings, credentials: CredentialSource | None = None
) -> CollectContext:
    """What every collector of a run gets: the settings' endpoints and credentials from
    ``credentials`` (the Airflow glue passes its connections) else the environment."""
    return CollectContext(
        bigquery_endpoint=settings.bigquery_endpoint or None,
        bigquery_location=settings.bigquery_location or None,
        credentials=credentials or environment_credentials,
        api_retry_s=float(settings.source_deadline_s),
        repo_roots=tuple(str(settings.path(root)) for root in settings.repo_roots),
    )


def collect_item(
    settings: Settings,
    spec: ServiceSpec,
    item: Item,
    store: EvidenceStore,
    as_of: datetime,
    context: CollectContext | None = None,
) -> Evidence:
    """Collect one item's evidence; any failure becomes an ``error`` Evidence."""
    params = substitute(item.evidence.params, _runtime_names(spec, item, store))
    from readiness.spec.loader import placeholders

    unresolved = placeholders(params)
    if unresolved:
        return Evidence.failed(
            None,
            utcnow(),
            (
                f"{spec.file}: evidence.locations has no {', '.join(sorted(unresolved))} "
                f"needed by item {item.id}"
            ),
        )
    request = CollectRequest(
        service=spec,
        item=item,
        params=params,
        as_of=as_of,
        store=store,
        project_root=str(settings.project_root),
        context=context or collect_context(settings),
        live=settings.live,
    )
    try:
        return get_collector(item.evidence.kind).collect(request)
    except CredentialMissing as exc:
        return Evidence.failed(None, utcnow(), f"{spec.file}: item {item.id}: {exc}")
    except Exception as exc:  # a collector bug must not stop the run
        log.exception("collector %s crashed for %s %s", item.evidence.kind, spec.service, item.id)
        return Evidence.failed(
            None, utcnow(), f"{item.evidence.kind} collector crashed: {type(exc).__name__}: {exc}"
        )


def collect_evidence(
    settings: Settings,
    spec: ServiceSpec,
    items: Sequence[tuple[Item, str | None]],
    store: EvidenceStore,
    as_of: datetime,
    workers: int = 1,
    context: CollectContext | None = None,
) -> dict[str, Evidence]:
    """Evidence for every applicable item of ``items`` (not-applicable ones are skipped)."""
    to_collect = [item for item, na in items if na is None]
    context = context or collect_context(settings)
    breaker = _Breaker(settings.live, store)

    def one(item: Item) -> Evidence:
        return breaker.collect(
            item, lambda: collect_item(settings, spec, item, store, as_of, context)
        )

    if workers > 1 and len(to_collect) > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            collected = list(pool.map(one, to_collect))
    else:
        collected = [one(item) for item in to_collect]
    return {item.id: ev for item, ev in zip(to_collect, collected, strict=True)}


class _Breaker:
    """One outage per source per run: once a source whose collectors declare one endpoint
    for every item (``outage = "source"``: the evidence store, BigQuery, the Cloud Storage
    API) is unreachable, its other items fail at once with the same cause instead of each
    waiting out the deadline. HTTP probes each name their own endpoint, an outage each."""

    def __init__(self, live: bool, store: EvidenceStore) -> None:
        self.live = live
        self.store = store
        self.down: dict[str, Evidence] = {}
        self.lock = threading.Lock()

    def collect(self, item: Item, run: Callable[[], Evidence]) -> Evidence:
        source = source_of(item.evidence.kind, self.live)
        with self.lock:
            failed = self.down.get(source)
        if failed is not None:
            return replace(failed, fetched_at=utcnow())
        evidence = run()
        if evidence.transient and evidence.error:
            grouped = groups_outages(item.evidence.kind, self.live)
            name = (
                self.store.root
                if source == "store"
                else (source if grouped else (evidence.uri or source))
            )
            evidence = replace(evidence, outage=name)
            if grouped:
                with self.lock:
                    self.down.setdefault(source, evidence)
        return evidence


def validation_tasks(
    service: str, items: Sequence[tuple[Item, str | None]], evidence: dict[str, Evidence]
) -> list[ValidationTask]:
    """What GX has to check: items whose evidence was found and read without error."""
    return [
        ValidationTask(
            key=task_key(service, item.id), expectations=item.expectations, evidence=found
        )
        for item, _na in items
        if (found := evidence.get(item.id)) is not None and found.found and not found.error
    ]


def waivers_for(
    spec: ServiceSpec, store: EvidenceStore, as_of: datetime
) -> tuple[list[Waiver], list[str]]:
    """Waivers from the spec plus waiver documents in the store (risk register exports)."""
    waivers = list(spec.waivers)
    warnings: list[str] = []
    try:
        for doc in load_documents(store, "waiver", "waiver/**/*"):
            if doc.timestamp > as_of:
                continue
            from datetime import date

            record = doc.record
            waivers.append(
                Waiver(
                    item=record["item"],
                    reason=record["reason"],
                    approver=record["approver"],
                    expires=date.fromisoformat(record["expires"]),
                    reference=record.get("reference", ""),
                    source=doc.uri,
                    # in force from its start, else from the day it was granted
                    starts=date.fromisoformat(record["starts"])
                    if record.get("starts")
                    else doc.timestamp.date(),
                )
            )
    except (DocumentError, StoreUnavailable) as exc:
        warnings.append(f"{spec.service}: waiver documents not applied: {exc}")
    return waivers, warnings


def score_service(
    *,
    run_id: str,
    spec: ServiceSpec,
    checklist: Checklist,
    as_of: datetime,
    items: Sequence[tuple[Item, str | None]],
    evidence: dict[str, Evidence],
    validated: dict[str, TaskResult],
    waivers: Sequence[Waiver],
    prior: dict[str, PriorItemState],
    previous_level: str | None,
    grace_runs: int,
) -> ServiceEvaluation:
    today = as_of.date()
    in_force: dict[str, Waiver] = {}
    for waiver in waivers:
        if waiver.in_force(today) and (
            waiver.item not in in_force or waiver.expires > in_force[waiver.item].expires
        ):
            in_force[waiver.item] = waiver
    results: list[ItemResult] = []
    for item, not_applicable in items:
        ev = evidence.get(item.id)
        task = validated.get(task_key(spec.service, item.id))
        outcomes = tuple(task.outcomes) if task else ()
        item_waiver = in_force.get(item.id)
        status, reason = resolve_status(
            item, ev, outcomes, task.error if task else None, item_waiver, not_applicable, as_of
        )
        before = prior.get(item.id)
        override = spec.overrides.get(item.id)
        effective, streak = apply_grace(status, before, grace_runs)
        if status is Status.ERROR and effective is not Status.ERROR:
            reason += f" (error {streak} of {grace_runs} allowed; counting as {effective.value})"
        regressed = is_regression(before, effective)
        if regressed:
            # named after the state it regressed from (``before`` exists: a regression
            # needs a passing past), so racing runs from one prior state share it
            episode: str | None = episode_id(
                spec.service, item.id, f"after:{before.run_id}" if before else run_id
            )
        elif effective in SATISFIED:
            episode = None
        else:
            episode = before.episode_id if before else None
        results.append(
            ItemResult(
                service=spec.service,
                item=item,
                required_from=item.required_from,
                status=status,
                effective_status=effective,
                previous_status=before.status if before else None,
                previous_effective_status=before.effective_status if before else None,
                regressed=regressed,
                reason=reason,
                evidence=ev,
                outcomes=outcomes,
                waiver=item_waiver,
                error_streak=streak,
                episode_id=episode,
                override=override.description if override and override.in_force(today) else "",
            )
        )
    level = achieved_level(
        checklist.levels, ((r.required_from, r.effective_status) for r in results)
    )
    return ServiceEvaluation(
        run_id=run_id,
        service=spec.service,
        spec=spec,
        checklist=checklist,
        evaluated_at=as_of,
        achieved_level=level,
        previous_level=previous_level,
        target_level=spec.target_level,
        items=tuple(results),
    )


# --------------------------------------------------------------------------- the pipeline


@dataclass(frozen=True)
class ServicePlan:
    """One service's run, stage by stage: collect → validate → score → record → sync.

    The only orchestration there is. ``evaluate`` (the CLI's batch) runs these stages for
    many services in one process, validating all of them in one GX batch;
    ``readiness.pipeline.stages`` runs each as an Airflow task and passes JSON between them."""

    spec: ServiceSpec
    checklist: Checklist
    items: tuple[tuple[Item, str | None], ...]

    @classmethod
    def of(cls, catalog: Catalog, service: str, on: date | None = None) -> ServicePlan:
        """The plan of a service the catalog defines, with the spec's overrides in force
        ``on`` a day; a ``ConfigError`` names the spec's problems when it does not."""
        if service not in catalog.specs:
            problems = [p for ps in catalog.broken_specs.values() for p in ps]
            related = [p for p in problems if service in str(p)] or [
                Problem(
                    "services/",
                    "service",
                    f"no valid spec defines service {service!r}; "
                    f"defined: {', '.join(sorted(catalog.specs)) or 'none'}",
                )
            ]
            raise ConfigError(related)
        spec = catalog.specs[service]
        checklist = catalog.checklist_for(spec)
        return cls(spec, checklist, tuple(effective_items(checklist, spec, on)))

    @property
    def service(self) -> str:
        return self.spec.service

    def run_id(self, run_key: str) -> str:
        return run_id_for(self.spec.service, run_key)

    def store(self, settings: Settings, as_of: datetime) -> EvidenceStore:
        return service_store(settings, self.spec, as_of)

    def sources(self, live: bool) -> dict[str, int]:
        """The systems the applicable items are collected from, with how many items each:
        one collection task per source in a DAG run."""
        counts: dict[str, int] = {}
        for item, na in self.items:
            if na is None:
                source = source_of(item.evidence.kind, live)
                counts[source] = counts.get(source, 0) + 1
        return counts

    def collect(
        self,
        settings: Settings,
        as_of: datetime,
        source: str | None = None,
        credentials: CredentialSource | None = None,
        store: EvidenceStore | None = None,
    ) -> dict[str, Evidence]:
        """Evidence for the applicable items (of one source, when given)."""
        wanted = [
            (item, na)
            for item, na in self.items
            if source is None or source_of(item.evidence.kind, settings.live) == source
        ]
        if source is not None and not wanted:
            known = ", ".join(self.sources(settings.live))
            raise ConfigError(
                [
                    Problem(
                        self.spec.file,
                        "source",
                        f"no item of {self.spec.service} is collected from {source!r}; "
                        f"expected one of {known}",
                    )
                ]
            )
        store = store or self.store(settings, as_of)
        if source is not None:
            failpoints.hit(f"collect.{source}")
        return collect_evidence(
            settings,
            self.spec,
            wanted,
            store,
            as_of,
            max(1, settings.collect_workers),
            collect_context(settings, credentials),
        )

    def waivers(
        self, settings: Settings, as_of: datetime, store: EvidenceStore | None = None
    ) -> tuple[list[Waiver], list[str]]:
        return waivers_for(self.spec, store or self.store(settings, as_of), as_of)

    def validation_tasks(self, evidence: dict[str, Evidence]) -> list[ValidationTask]:
        return validation_tasks(self.spec.service, self.items, evidence)

    def score(
        self,
        history: HistoryStore,
        *,
        run_id: str,
        as_of: datetime,
        evidence: dict[str, Evidence],
        validated: dict[str, TaskResult],
        waivers: Sequence[Waiver],
        grace_runs: int,
    ) -> ServiceEvaluation:
        """The level rule over validated evidence, against the service's recorded past."""
        with history.session():
            prior = history.prior_states(self.spec.service, as_of, run_id)
            previous_level = history.previous_level(self.spec.service, as_of, run_id)
        return score_service(
            run_id=run_id,
            spec=self.spec,
            checklist=self.checklist,
            as_of=as_of,
            items=self.items,
            evidence=evidence,
            validated=validated,
            waivers=waivers,
            prior=prior,
            previous_level=previous_level,
            grace_runs=grace_runs,
        )


def record(history: HistoryStore, evaluations: Sequence[ServiceEvaluation], meta: RunMeta) -> None:
    """Write runs to history, replacing each run's own rows if it was recorded before."""
    with history.session():
        history.write(evaluations, meta)


def sync(
    history: HistoryStore,
    tracker: IssueTracker,
    evaluation: ServiceEvaluation,
    quarterly_waivers: Sequence[Waiver] | None = None,
) -> SyncReport:
    """Bring the tracker in line with a recorded run. Deliberately outside a history
    session: tracker calls may retry for minutes, and a session would hold DuckDB's file
    lock (and every other service's writes) for that long."""
    return sync_issues(
        evaluation, history, tracker, evaluation.run_id, quarterly_waivers=quarterly_waivers
    )


# --------------------------------------------------------------------------- whole run


def evaluate(
    settings: Settings,
    *,
    services: Sequence[str] | None = None,
    as_of: datetime | None = None,
    meta: RunMeta | None = None,
    dry_run: bool = False,
    catalog: Catalog | None = None,
    history: HistoryStore | None = None,
    tracker: IssueTracker | None = None,
    validator: BatchValidator | None = None,
    progress: Progress | None = None,
) -> RunReport:
    """Evaluate services (all by default) as of a moment (now by default): the pipeline's
    stages for each, with one GX batch for all of them."""
    as_of = as_of or utcnow()
    meta = meta or RunMeta(run_key=default_run_key(as_of))
    catalog = catalog or load_catalog(settings.checklist_paths, settings.service_paths)
    report = RunReport(
        run_key=meta.run_key, as_of=as_of, dry_run=dry_run, problems=list(catalog.problems)
    )
    chosen = list(catalog.specs)
    if services:
        unknown = [s for s in services if s not in catalog.specs]
        for name in unknown:
            broken = [
                f for f, probs in catalog.broken_specs.items() if any(name in str(p) for p in probs)
            ]
            hint = f" (its spec has problems: {broken[0]})" if broken else ""
            report.warnings.append(f"service {name!r} is not defined{hint}")
        chosen = [s for s in services if s in catalog.specs]
    plans = [ServicePlan.of(catalog, service, as_of.date()) for service in chosen]
    history = history or history_for(settings)
    history.init()

    # 1. collect
    collected: list[tuple[ServicePlan, dict[str, Evidence], list[Waiver]]] = []
    total = sum(len(plan.items) for plan in plans)
    done = 0
    for plan in plans:
        try:
            store = plan.store(settings, as_of)  # one per service: an outage is met once
        except ConfigError as exc:  # this spec's problem; the other services still run
            report.problems.extend(exc.problems)
            continue
        evidence = plan.collect(settings, as_of, store=store)
        done += len(plan.items)
        if progress:
            progress(f"collected {plan.service}", done, total)
        waivers, warnings = plan.waivers(settings, as_of, store)
        report.warnings.extend(warnings)
        collected.append((plan, evidence, waivers))

    # 2. validate everything in one batch
    validator = validator or BatchValidator()
    tasks = [task for plan, evidence, _w in collected for task in plan.validation_tasks(evidence)]
    validated = validator.validate(tasks, as_of) if tasks else {}
    report.gx_calls = validator.calls
    if progress:
        progress("validated", total, total)

    # 3. score, 4. record, 5. sync (the tracker is opened first: a bad tracker setting must
    # fail the run before anything is recorded)
    if not dry_run:
        tracker = tracker or trackers.open_tracker(settings)
    with history.session():
        for plan, evidence, waivers in collected:
            report.evaluations.append(
                plan.score(
                    history,
                    run_id=plan.run_id(meta.run_key),
                    as_of=as_of,
                    evidence=evidence,
                    validated=validated,
                    waivers=waivers,
                    grace_runs=settings.error_grace_runs,
                )
            )
    if dry_run:
        return report
    assert tracker is not None
    record(history, report.evaluations, meta)
    quarterly = meta.trigger == "quarterly"
    for (_plan, _evidence, waivers), evaluation in zip(collected, report.evaluations, strict=True):
        report.issues[evaluation.service] = sync(
            history, tracker, evaluation, waivers if quarterly else None
        )
    return report

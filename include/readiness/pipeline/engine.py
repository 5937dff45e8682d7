"""One evaluation run: collect (``collect``) → validate (GX, batched across services) →
score (``score``, with the exemptions granted, ``exemptions``) → record history → sync
issues. The CLI and the Airflow tasks both call these functions.

A run never stops for one bad item: collector crashes, broken documents and odd evidence
become that item's ``error`` status, and the rest of the run goes on."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from readiness import trackers
from readiness.collectors import (
    CredentialSource,
    source_of,
)
from readiness.domain.model import (
    Checklist,
    Evidence,
    Item,
    ServiceEvaluation,
    ServiceSpec,
    Waiver,
)
from readiness.domain.verdicts import Verdict
from readiness.evidence.store import (
    EvidenceStore,
    StoreUnavailable,
)
from readiness.history import HistoryStore, RunMeta, history_for
from readiness.history.rows import exemption_event_rows
from readiness.lifecycle.issues import close_retired, sync_issues
from readiness.pipeline.collect import collect_context, collect_evidence, service_store
from readiness.pipeline.exemptions import Exemptions, exemptions_for, grant_store
from readiness.pipeline.run_report import RunReport
from readiness.pipeline.score import score_service, validation_tasks
from readiness.pipeline.validation import BatchValidator, TaskResult, ValidationTask
from readiness.pipeline.verdicts import Sealer, archive_sources, evidence_archive
from readiness.spec.config import Settings
from readiness.spec.loader import Catalog, load_catalog
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


def default_run_key(as_of: datetime) -> str:
    return f"manual__{as_of.isoformat()}"


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
        evidence = collect_evidence(
            settings,
            self.spec,
            wanted,
            store,
            as_of,
            max(1, settings.collect_workers),
            collect_context(settings, credentials),
        )
        archive_sources(evidence_archive(settings), store, evidence)  # while the bytes are here
        return evidence

    def exemptions(
        self,
        settings: Settings,
        history: HistoryStore,
        as_of: datetime,
        run_id: str = "",
        store: EvidenceStore | None = None,
        check_store: bool = True,
    ) -> Exemptions:
        """The state of every exemption the spec asks for at ``as_of``: the answers given in
        Airflow (history) and the grant documents under ``exemptions_root``. ``check_store``
        also looks for waiver documents in the team's store, to say they grant nothing."""
        warnings: list[str] = []
        grants: EvidenceStore | None = None
        try:
            grants = grant_store(settings, self.spec, as_of)
        except (ConfigError, StoreUnavailable, OSError) as exc:
            warnings.append(f"{self.service}: grant documents not read: {exc}")
        if store is None and check_store:
            try:
                store = self.store(settings, as_of)
            except ConfigError:
                store = None
        with history.session():
            recorded = history.exemption_decisions(self.service, as_of)
            baseline = history.baseline(self.service, as_of, run_id)
        found = exemptions_for(
            self.checklist,
            self.spec,
            as_of,
            recorded=recorded,
            grants=grants,
            store=store,
            baseline=baseline,
        )
        found.warnings[:0] = warnings
        return found

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
        exemptions: Exemptions,
        grace_runs: int,
    ) -> ServiceEvaluation:
        """The level rule over validated evidence, against the service's recorded past,
        with the granted exemptions (and only those) in force."""
        with history.session():
            prior = history.prior_states(self.spec.service, as_of, run_id)
            previous_level = history.previous_level(self.spec.service, as_of, run_id)
        return score_service(
            run_id=run_id,
            spec=self.spec,
            checklist=self.checklist,
            as_of=as_of,
            items=self.scored_items(as_of, exemptions),
            evidence=evidence,
            validated=validated,
            waivers=exemptions.waivers,
            prior=prior,
            previous_level=previous_level,
            grace_runs=grace_runs,
            exemptions=exemptions,
        )

    def scored_items(
        self, as_of: datetime, exemptions: Exemptions
    ) -> tuple[tuple[Item, str | None], ...]:
        """The items as scored: the collected ones, with granted weakenings applied."""
        if not exemptions.granted:
            return self.items
        return tuple(effective_items(self.checklist, self.spec, as_of.date(), exemptions.granted))


def record(
    history: HistoryStore,
    evaluations: Sequence[ServiceEvaluation],
    meta: RunMeta,
    sealer: Sealer | None = None,
) -> list[Verdict]:
    """Write runs to history, replacing each run's own rows if it was recorded before, put
    the runs' exemption events on record (each once), and sign each run's verdict onto its
    service's chain (a re-run's supersedes the one before)."""
    with history.session():
        history.write(evaluations, meta)
        history.save_events([row for ev in evaluations for row in exemption_event_rows(ev)])
        return [sealer.seal(history, ev) for ev in evaluations] if sealer else []


def sync(
    history: HistoryStore,
    tracker: IssueTracker,
    evaluation: ServiceEvaluation,
    quarterly_waivers: Sequence[Waiver] | None = None,
    lapse_notice_days: int = 7,
    outage_team: str = "",
) -> SyncReport:
    """Bring the tracker in line with a recorded run. Deliberately outside a history
    session: tracker calls may retry for minutes, and a session would hold DuckDB's file
    lock (and every other service's writes) for that long."""
    return sync_issues(
        evaluation,
        history,
        tracker,
        evaluation.run_id,
        quarterly_waivers=quarterly_waivers,
        lapse_notice_days=lapse_notice_days,
        outage_team=outage_team,
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
    collected: list[tuple[ServicePlan, dict[str, Evidence], Exemptions]] = []
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
        exemptions = plan.exemptions(settings, history, as_of, plan.run_id(meta.run_key), store)
        report.warnings.extend(exemptions.warnings)
        collected.append((plan, evidence, exemptions))

    # 2. validate everything in one batch
    validator = validator or BatchValidator()
    tasks = [task for plan, evidence, _w in collected for task in plan.validation_tasks(evidence)]
    validated = validator.validate(tasks, as_of) if tasks else {}
    report.gx_calls = validator.calls
    if progress:
        progress("validated", total, total)

    # 3. score, 4. record, 5. sync (the tracker is opened first: a bad tracker setting must
    # fail the run before anything is recorded)
    sealer: Sealer | None = None
    if not dry_run:
        tracker = tracker or trackers.open_tracker(settings)
        sealer = Sealer.of(settings)
    with history.session():
        for plan, evidence, exemptions in collected:
            report.evaluations.append(
                plan.score(
                    history,
                    run_id=plan.run_id(meta.run_key),
                    as_of=as_of,
                    evidence=evidence,
                    validated=validated,
                    exemptions=exemptions,
                    grace_runs=settings.error_grace_runs,
                )
            )
    if dry_run:
        return report
    assert tracker is not None
    report.verdicts = record(history, report.evaluations, meta, sealer)
    quarterly = meta.trigger == "quarterly"
    for (_plan, _evidence, exemptions), evaluation in zip(
        collected, report.evaluations, strict=True
    ):
        report.issues[evaluation.service] = sync(
            history,
            tracker,
            evaluation,
            exemptions.waivers if quarterly else None,
            settings.lapse_notice_days,
            settings.outage_team,
        )
    if not services:  # a run of the whole fleet also sees which services are gone
        retire(history, tracker, catalog, as_of, meta.run_key, report)
    return report


def retire(
    history: HistoryStore,
    tracker: IssueTracker,
    catalog: Catalog,
    at: datetime,
    run_id: str,
    report: RunReport,
) -> SyncReport:
    """Close the open issues of every service no spec names any more. Never on a catalog
    with no spec at all: a services folder that is missing or unreadable is a problem of
    settings, not the retirement of the fleet."""
    if not catalog.specs:
        report.warnings.append("no service spec loaded: retired services were not looked for")
        return SyncReport()
    closed = close_retired(history, tracker, catalog.named_services, at, run_id)
    if closed.closed or closed.failed:
        report.warnings.append(
            f"retired services: closed {len(closed.closed)} issue(s)"
            + (f", {len(closed.failed)} deferred to the next run" if closed.failed else "")
        )
    return closed

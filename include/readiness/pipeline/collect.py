"""Collection policy: a service's evidence store (confined to the project or the evidence
root), the collect context, one item's collection (any failure becomes ``error``
evidence), and one outage per source per run."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

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
    Evidence,
    Item,
    ServiceSpec,
)
from readiness.evidence.store import (
    EvidenceStore,
    open_service_store,
    open_store,
)
from readiness.spec.config import Settings
from readiness.spec.loader import substitute
from readiness.support.errors import ConfigError, Problem
from readiness.support.timeutil import utcnow

log = logging.getLogger(__name__)


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


def policy_problems(settings: Settings, spec: ServiceSpec) -> list[Problem]:
    """What collection would refuse in this spec, found before any run: a local evidence
    store outside the project and the evidence root, a repository outside every repository
    root. ``readiness check`` applies them, so a team's CI catches what ``evaluate`` would."""
    problems: list[Problem] = []
    try:
        _confine_evidence_store(settings, spec)
    except ConfigError as exc:
        problems += exc.problems
    if spec.repo:
        from readiness.evidence.repo import outside_roots, repo_root

        root = repo_root(spec, str(settings.project_root))
        roots = [settings.path(r) for r in settings.repo_roots]
        allowed = outside_roots(root, roots) if root is not None else []
        if allowed:
            problems.append(
                Problem(
                    spec.file,
                    "repo",
                    f"{spec.repo!r} is outside the repository roots "
                    f"({', '.join(map(str, allowed))}); expected a path under one of them "
                    "(setting repo_roots)",
                )
            )
    return problems


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

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
from typing import Any
from urllib.parse import urlsplit

from readiness.collectors import (
    CollectContext,
    CollectRequest,
    CredentialError,
    CredentialSource,
    credential_refusal,
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
    SCHEMES,
    EvidenceStore,
    ReadLimits,
    open_service_store,
    open_store,
)
from readiness.spec.config import Settings
from readiness.spec.loader import substitute
from readiness.support.errors import ConfigError, Problem
from readiness.support.timeutil import utcnow

log = logging.getLogger(__name__)


def _normal_store(settings: Settings, uri: str) -> str:
    """A store URI to compare by prefix: ``gs://bucket/a/b`` as written (trailing ``/``
    dropped), a local folder (plain, ``file://`` or the sample feed's) as its resolved
    ``file://`` path, so ``..`` and links cannot fake a prefix."""
    uri = uri.rstrip("/")
    scheme = uri.split("://", 1)[0] if "://" in uri else "file"
    if scheme != "file" and scheme in SCHEMES:
        return uri
    path = settings.path(uri.split("://", 1)[1] if "://" in uri else uri)
    return f"file://{path.resolve()}"


def _confine_evidence_store(settings: Settings, spec: ServiceSpec) -> None:
    """A spec's own ``evidence.store`` must be its service's: under
    ``<evidence_root>/<service>``, or a folder named after the service under a prefix
    setting ``evidence_stores`` allows. Otherwise a team could score itself on another
    service's evidence, or have the document collector copy any readable folder (or
    bucket) into history."""
    uri = spec.evidence_store or ""
    if not uri:  # the default, <evidence_root>/<service>, is its own by construction
        return
    where = _normal_store(settings, uri)
    own = f"{_normal_store(settings, settings.evidence_root)}/{spec.service}"
    prefixes = [_normal_store(settings, p) for p in settings.evidence_stores]
    parts = where.split("://", 1)[1].split("/")
    allowed = (
        where == own
        or where.startswith(own + "/")
        or (parts[-1] == spec.service and any(where.startswith(p + "/") for p in prefixes))
    )
    if not allowed or any(part in (".", "..") for part in parts):
        others = ", ".join(prefixes) if prefixes else "none set"
        raise ConfigError(
            [
                Problem(
                    spec.file,
                    "evidence.store",
                    f"{uri!r} is not {spec.service}'s own store: expected {own} or a folder "
                    f"under it, or a folder named {spec.service!r} under a prefix that "
                    f"setting evidence_stores allows ({others})",
                )
            ]
        )


def credential_problems(
    settings: Settings, spec: ServiceSpec, items: Sequence[Item]
) -> list[Problem]:
    """Each item whose credential would go to a URL that ``credential_hosts`` does not
    allow for it, with the spec's own locations filled in."""
    names = {f"locations.{k}": v for k, v in spec.locations.items()}
    names["service"] = spec.service
    problems = []
    for item in items:
        params = item.evidence.params
        if not params.get("credential"):
            continue
        urls = substitute(params.get("urls") or [], {**names, "item": item.id})
        for url in [urls] if isinstance(urls, str) else urls:
            why = credential_refusal(str(params["credential"]), str(url), settings.credential_hosts)
            if why:
                problems.append(
                    Problem(spec.file, "locations", f"item {item.id}: {why.split(': nothing')[0]}")
                )
    return problems


def policy_problems(
    settings: Settings, spec: ServiceSpec, items: Sequence[Item] = ()
) -> list[Problem]:
    """What collection would refuse in this spec, found before any run: an evidence store
    outside the service's own prefix, a repository outside every repository root, a
    credential bound for a host settings do not allow (for ``items``, the checklist's).
    ``readiness check`` applies them, so a team's CI catches what ``evaluate`` would."""
    problems: list[Problem] = credential_problems(settings, spec, items)
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
    limits = ReadLimits(settings.max_document_bytes, settings.max_run_bytes)
    if spec.evidence_store:
        _confine_evidence_store(settings, spec)
        return open_store(spec.evidence_store, settings.project_root, deadline, limits)
    return open_service_store(
        settings.evidence_root, settings.project_root, spec, as_of, deadline, limits
    )


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
        credential_hosts=settings.credential_hosts,
        max_document_bytes=settings.max_document_bytes,
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
    except CredentialError as exc:
        return Evidence.failed(None, utcnow(), f"{spec.file}: item {item.id}: {exc}")
    except Exception as exc:  # a collector bug must not stop the run
        log.exception("collector %s crashed for %s %s", item.evidence.kind, spec.service, item.id)
        return Evidence.failed(
            None, utcnow(), f"{item.evidence.kind} collector crashed: {type(exc).__name__}: {exc}"
        )


#: At most this many sources are tried at once in one run: each source's first item is
#: tried concurrently, so a run with every source down takes one deadline, not one per
#: source (or per batch of ``collect_workers``).
MAX_SOURCES_AT_ONCE = 32


def _host_of(value: Any) -> str | None:
    """``scheme://host[:port]`` of the first http(s) URL in a parameter value."""
    for text in [value] if isinstance(value, str) else value if isinstance(value, list) else []:
        if isinstance(text, str) and text.startswith(("http://", "https://")):
            parts = urlsplit(text)
            if parts.netloc:
                return f"{parts.scheme}://{parts.netloc}"
    return None


def outage_lane(
    spec: ServiceSpec, item: Item, store: EvidenceStore, live: bool
) -> tuple[str, str | None]:
    """(lane, host): the items one outage takes down together. A source whose collectors
    declare one endpoint for every item is one lane; an endpoint collector's items share a
    lane by host (two URLs on one unreachable host are one outage); an item naming no URL
    is a lane of its own."""
    source = source_of(item.evidence.kind, live)
    if source == "store":
        return f"store:{store.root}", None
    if groups_outages(item.evidence.kind, live):
        return source, None
    params = substitute(item.evidence.params, _runtime_names(spec, item, store))
    for value in params.values():
        host = _host_of(value)
        if host is not None:
            return f"{source}:{host}", host
    return f"{source}:item:{item.id}", None


def collect_evidence(
    settings: Settings,
    spec: ServiceSpec,
    items: Sequence[tuple[Item, str | None]],
    store: EvidenceStore,
    as_of: datetime,
    workers: int = 1,
    context: CollectContext | None = None,
) -> dict[str, Evidence]:
    """Evidence for every applicable item of ``items`` (not-applicable ones are skipped).

    The first item of every outage lane (a source, or an endpoint's host) is tried at
    once, each against the source deadline; the rest follow on ``workers`` threads, and
    an item whose lane is down fails at once with the lane's cause. So a run with every
    source unreachable takes about one ``source_deadline_s``, however many sources."""
    to_collect = [item for item, na in items if na is None]
    context = context or collect_context(settings)
    breaker = _Breaker(settings.live, store)
    lanes: dict[str, list[Item]] = {}
    hosts: dict[str, str | None] = {}
    for item in to_collect:
        lane, host = outage_lane(spec, item, store, settings.live)
        lanes.setdefault(lane, []).append(item)
        hosts[item.id] = host

    def one(item: Item) -> Evidence:
        lane, _host = outage_lane(spec, item, store, settings.live)
        return breaker.collect(
            item,
            lane,
            hosts[item.id],
            lambda: collect_item(settings, spec, item, store, as_of, context),
        )

    firsts = [members[0] for members in lanes.values()]
    rest = [item for members in lanes.values() for item in members[1:]]
    collected: dict[str, Evidence] = {}
    if len(to_collect) > 1 and (workers > 1 or len(firsts) > 1):
        width = max(1, min(len(firsts), MAX_SOURCES_AT_ONCE))
        with ThreadPoolExecutor(max_workers=width, thread_name_prefix="collect-first") as pool:
            collected.update(zip((i.id for i in firsts), pool.map(one, firsts), strict=True))
        with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="collect") as pool:
            collected.update(zip((i.id for i in rest), pool.map(one, rest), strict=True))
    else:
        collected.update((item.id, one(item)) for item in [*firsts, *rest])
    return {item.id: collected[item.id] for item in to_collect}


class _Breaker:
    """One outage per lane per run: once a lane's source is unreachable (the evidence
    store, BigQuery, the Cloud Storage API, or one host of an endpoint collector), its
    other items fail at once with the same cause instead of each waiting out the deadline.
    The outage is named after the store, the source, or the endpoint's host."""

    def __init__(self, live: bool, store: EvidenceStore) -> None:
        self.live = live
        self.store = store
        self.down: dict[str, Evidence] = {}
        self.lock = threading.Lock()

    def collect(
        self, item: Item, lane: str, host: str | None, run: Callable[[], Evidence]
    ) -> Evidence:
        with self.lock:
            failed = self.down.get(lane)
        if failed is not None:
            if host is None:
                return replace(failed, fetched_at=utcnow())
            return replace(
                failed,
                fetched_at=utcnow(),
                error=f"not tried: {host} did not answer in this run ({failed.error})",
            )
        evidence = run()
        if evidence.transient and evidence.error:
            source = source_of(item.evidence.kind, self.live)
            grouped = groups_outages(item.evidence.kind, self.live)
            name = (
                self.store.root
                if source == "store"
                else (source if grouped else (host or evidence.uri or source))
            )
            evidence = replace(evidence, outage=name)
            if grouped or host is not None:
                with self.lock:
                    self.down.setdefault(lane, evidence)
        return evidence

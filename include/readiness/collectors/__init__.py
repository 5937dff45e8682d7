"""Evidence collectors: one small plug-in per folder, behind one interface.

Each folder holds ``DEFINITION.md`` (kind, parameters, what it returns, what counts as
``missing``), ``collector.py`` (a ``Params`` model and a collector class), its tests and
its test data. Collectors gather rows plus provenance and never decide pass/fail: the
item's expectations do.

Modules are imported by kind on first use, so loading checklists (as DAG files do at
parse time) stays cheap.
"""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Protocol
from urllib.parse import urlsplit

from pydantic import BaseModel

from readiness.domain.model import Evidence, Item, ServiceSpec

if TYPE_CHECKING:
    from readiness.evidence.store import EvidenceStore


#: kind → module that defines ``COLLECTOR``.
KINDS: dict[str, str] = {
    "document": "readiness.collectors.document.collector",
    "attestation": "readiness.collectors.attestation.collector",
    "repo_files": "readiness.collectors.repo_files.collector",
    "repo_grep": "readiness.collectors.repo_grep.collector",
    "slo_budget": "readiness.collectors.slo_budget.collector",
    "bucket_settings": "readiness.collectors.bucket_settings.collector",
    "bigquery_table": "readiness.collectors.bigquery_table.collector",
    "bigquery_query": "readiness.collectors.bigquery_query.collector",
    "coverage_report": "readiness.collectors.coverage_report.collector",
    "http_probe": "readiness.collectors.http_probe.collector",
}


class Secret:
    """A credential's value. Its ``repr`` and ``str`` never show it, so a log line, an
    exception message or an XCom built from a request cannot leak it by accident."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__


class CredentialError(LookupError):
    """A credential a collector cannot use; the item becomes ``error``."""


class CredentialMissing(CredentialError):
    """No source holds the credential a collector needs."""


class CredentialRefused(CredentialError):
    """The credential would go somewhere settings do not allow: a host outside its
    ``credential_hosts``, or plain http. Nothing is sent."""


def host_allowed(host: str, patterns: Sequence[str]) -> bool:
    """``host`` is one of ``patterns``, or a subdomain of a ``*.domain`` pattern."""
    host = host.lower().rstrip(".")
    for pattern in patterns:
        if pattern.startswith("*."):
            if host.endswith(pattern[1:]) and len(host) > len(pattern) - 1:
                return True
        elif host == pattern:
            return True
    return False


#: Where credentials come from: name → value or None. The environment by default; the
#: Airflow glue puts its connections first (``readiness_airflow.hooks``).
CredentialSource = Callable[[str], str | None]


def env_var_for(name: str) -> str:
    """``pagerduty`` → ``READINESS_CREDENTIAL_PAGERDUTY``."""
    return "READINESS_CREDENTIAL_" + re.sub(r"[^A-Za-z0-9]", "_", name).upper()


def connection_id_for(name: str) -> str:
    """``pagerduty`` → ``readiness_pagerduty``: the Airflow connection holding it."""
    return f"readiness_{name}"


def environment_credentials(name: str) -> str | None:
    return os.environ.get(env_var_for(name)) or None


@dataclass(frozen=True)
class CollectContext:
    """What a run gives every collector besides the item: endpoints, deadlines, clients
    a test injects, and credentials by name."""

    bigquery_endpoint: str | None = None
    bigquery_location: str | None = None
    #: the bounded deadline of one source's API calls, retries included
    api_retry_s: float = 30.0
    #: clients a test hands in (the emulators); None builds the real one from settings
    bigquery_client: Any = None
    storage_client: Any = None
    credentials: CredentialSource = environment_credentials
    #: absolute folders a service's ``repo`` must lie under (empty: the project root)
    repo_roots: tuple[str, ...] = ()
    #: credential name → the hosts it may be sent to, over https (``credential_hosts``)
    credential_hosts: Mapping[str, Sequence[str]] = field(default_factory=dict)
    #: the most bytes one document or repository file may have (``max_document_bytes``)
    max_document_bytes: int = 16 * 1024 * 1024

    def credential(self, name: str) -> Secret:
        """The credential ``name`` (a checklist param names it; the value never appears
        in a spec, a log or history)."""
        value = self.credentials(name)
        if not value:
            raise CredentialMissing(
                f"no credential {name!r}: set the password of Airflow connection "
                f"{connection_id_for(name)!r} or the {env_var_for(name)} environment variable"
            )
        return Secret(value)

    def credential_for(self, name: str, url: str) -> Secret:
        """The credential ``name`` for a request to ``url``, if settings allow it there:
        https only, to a host its ``credential_hosts`` entry names. A spec picks URLs
        (``${locations.base_url}``), so without this a spec could pick where a secret goes."""
        refusal = credential_refusal(name, url, self.credential_hosts)
        if refusal:
            raise CredentialRefused(refusal)
        return self.credential(name)


def credential_refusal(name: str, url: str, hosts: Mapping[str, Sequence[str]]) -> str | None:
    """Why credential ``name`` must not go to ``url`` (None: it may)."""
    parts = urlsplit(url)
    if parts.scheme != "https":
        return (
            f"credential {name!r} is sent over https only, and {url!r} is "
            f"{parts.scheme or 'not a URL'}: nothing was sent"
        )
    allowed = hosts.get(name, ())
    if not host_allowed(parts.hostname or "", allowed):
        where = ", ".join(allowed) if allowed else "no host"
        return (
            f"credential {name!r} may be sent to {where} (setting credential_hosts), not to "
            f"{parts.hostname!r} in {url!r}: nothing was sent"
        )
    return None


@dataclass
class CollectRequest:
    """Everything a collector may use for one item of one service."""

    service: ServiceSpec
    item: Item
    params: dict[str, Any]
    as_of: datetime
    store: EvidenceStore
    project_root: str
    context: CollectContext = field(default_factory=CollectContext)
    #: Read live sources (cloud APIs, HTTP endpoints) rather than the recorded documents
    #: of the same shape in the evidence store (``live_sources`` setting).
    live: bool = False


def where_it_goes(request: CollectRequest, pattern: str) -> str:
    """Where a missing item's evidence belongs, for its reason: a newcomer reads "expected
    in <evidence_root>/svc/drill_report/ (docs/evidence.md)", not just "missing"."""
    folder = pattern.split("*", 1)[0].rstrip("/")
    return f"; expected in <evidence_root>/{request.service.service}/{folder}/ (docs/evidence.md)"


class Collector(Protocol):
    """A collector describes itself; the engine, the DAG factory, the sample feed and the
    docs read these declarations (and ``DEFINITION.md``'s front matter, checked against
    them) instead of naming kinds."""

    kind: ClassVar[str]
    #: The system it reads: ``store`` (the evidence store), ``repo``, ``bigquery``, ``gcs``,
    #: ``http``, or a new one of its own (``pagerduty``). A DAG run collects each source in
    #: one task, retried on its own.
    source: ClassVar[str]
    #: How its failures group: ``source`` (one endpoint serves every item, so once it is
    #: unreachable the run's other items fail at once with one outage) or ``endpoint``
    #: (each item names its own endpoint, an outage each).
    outage: ClassVar[str]
    #: The evidence document kind its tooling records in the store, read instead of the
    #: live source on embedded defaults (``live_sources`` off); None if it has none.
    recorded: ClassVar[str | None]
    Params: ClassVar[type[BaseModel]]
    # Optional: ``columns: ClassVar[tuple[str, ...]]``, every column its evidence has, for
    # collectors whose columns do not depend on the source (``check`` refuses others).

    def collect(self, request: CollectRequest) -> Evidence: ...


_CACHE: dict[str, Collector] = {}


def get_collector(kind: str) -> Collector:
    """The collector for ``kind``; KeyError for an unknown kind."""
    if kind not in _CACHE:
        module = importlib.import_module(KINDS[kind])
        _CACHE[kind] = module.COLLECTOR
    return _CACHE[kind]


def source_of(kind: str, live: bool) -> str:
    """Where an item of ``kind`` is collected from: its collector's ``source`` when live
    sources are read, else the evidence store for a collector that has ``recorded``
    documents of the same shape there (the embedded default)."""
    collector = get_collector(kind)
    if collector.recorded and not live:
        return "store"
    return collector.source


def groups_outages(kind: str, live: bool) -> bool:
    """Whether one unreachable item of ``kind`` means every item of its source is down: the
    evidence store always, otherwise as the collector declares (``outage``)."""
    return source_of(kind, live) == "store" or get_collector(kind).outage == "source"


def register(kind: str, module: str) -> None:
    """Add a collector kind from outside the package (a plug-in of the user's own)."""
    from readiness.collectors.recognise import recognisers

    KINDS[kind] = module
    _CACHE.pop(kind, None)
    recognisers.cache_clear()  # its recognise.py, if it has one, is asked from now on

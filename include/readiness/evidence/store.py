"""The evidence store: where teams' tooling writes evidence documents.

``file://`` (a local folder, the embedded default) is built in; other schemes register
an implementation in ``SCHEMES`` (``gs://`` lives in ``readiness.evidence.gcs``). Reads are
cached per store instance, so one run reads a document once however many items use it.
"""

from __future__ import annotations

import fnmatch
import hashlib
import importlib
import os
import stat
import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol


@dataclass(frozen=True)
class StoredObject:
    uri: str
    name: str  # path relative to the store root, '/'-separated
    #: the size the listing gave, where it gives one (checked before any download)
    size: int | None = None


class StoreUnavailable(Exception):
    """The store could not be reached or read: an infrastructure problem (status
    ``error``), never a finding."""


class ObjectRefused(Exception):
    """One object the store will not read: over a byte limit, a link out of the store's
    root, not a regular file. Its item is ``error`` naming why; not an outage, so nothing
    retries it."""


@dataclass(frozen=True)
class ReadLimits:
    """Bounds on what one service's run reads from its store (settings
    ``max_document_bytes`` and ``max_run_bytes``): a 5 GB object or a link to
    ``/dev/zero`` must cost an item, not a worker's memory."""

    document_bytes: int = 16 * 1024 * 1024
    run_bytes: int = 256 * 1024 * 1024


def read_regular_file(path: Path, limit: int, root: Path | None = None) -> bytes:
    """At most ``limit`` bytes of the regular file at ``path``, which must resolve inside
    ``root`` when given; ObjectRefused otherwise. The size is checked on the open file,
    so a file swapped after the check is still read within the bound."""
    if root is not None:
        real = path.resolve()
        base = root.resolve()
        if real != base and not real.is_relative_to(base):
            raise ObjectRefused(f"{path} is a link out of {base}; links must stay inside it")
    try:
        # non-blocking, so opening a FIFO does not wait for a writer; it is refused below
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise ObjectRefused(f"{path} is not a regular file")
            if info.st_size > limit:
                raise ObjectRefused(_over(path, info.st_size, limit))
            data = handle.read(limit + 1)
    except OSError as exc:
        raise StoreUnavailable(f"cannot read {path}: {exc.strerror or exc}") from exc
    if len(data) > limit:  # it grew while being read
        raise ObjectRefused(_over(path, len(data), limit))
    return data


def _over(what: object, size: int, limit: int, setting: str = "max_document_bytes") -> str:
    return (
        f"{what} is {size:,} bytes or more, over the limit of {limit:,} bytes "
        f"(setting {setting}); not read"
    )


class EvidenceStore(Protocol):
    root: str
    memo: dict[Any, Any]  # per-run cache of parsed/validated documents
    limits: ReadLimits

    def list(self, pattern: str) -> list[StoredObject]: ...

    def read(self, obj: StoredObject) -> tuple[bytes, str]:
        """Content and its sha256."""
        ...

    def child(self, prefix: str) -> EvidenceStore: ...


def _match(name: str, pattern: str) -> bool:
    """Glob match where ``**/`` also matches zero folders."""
    if fnmatch.fnmatchcase(name, pattern):
        return True
    return "**/" in pattern and fnmatch.fnmatchcase(name, pattern.replace("**/", ""))


class CachingStore(ABC):
    """The per-run caches every store shares: one listing, one download per object, each
    glob matched once, and ``memo`` for what collectors derive from documents. A store
    supplies only how to list everything under its root and how to fetch one object."""

    root: str

    def __init__(self) -> None:
        self.limits = ReadLimits()
        #: bytes read so far in this run, against ``limits.run_bytes``
        self.bytes_read = 0
        self._listing: list[StoredObject] | None = None
        self._cache: dict[str, tuple[bytes, str]] = {}
        self.memo: dict[Any, Any] = {}
        #: Why the store was unreachable, once it was: every later call fails at once with
        #: the same cause, so a dead source costs one deadline per run, not one per item.
        self.down: str | None = None
        self._listing_lock = threading.Lock()

    def _unreachable(self, exc: StoreUnavailable) -> StoreUnavailable:
        self.down = self.down or str(exc)
        return exc

    @abstractmethod
    def _list_all(self) -> list[StoredObject]:
        """Every object under the root, sorted by name; StoreUnavailable if unreadable."""

    @abstractmethod
    def _fetch(self, obj: StoredObject, limit: int) -> bytes:
        """One object's content, of at most ``limit`` bytes (ObjectRefused past it);
        StoreUnavailable if unreadable."""

    def list(self, pattern: str) -> list[StoredObject]:
        with self._listing_lock:  # collector threads wait for one listing, not retry four
            if self.down:
                raise StoreUnavailable(self.down)
            if self._listing is None:
                try:
                    self._listing = self._list_all()
                except StoreUnavailable as exc:
                    raise self._unreachable(exc) from None
        key = ("list", pattern)  # one run asks for the same globs item after item
        if key not in self.memo:
            self.memo[key] = [obj for obj in self._listing if _match(obj.name, pattern)]
        listed: list[StoredObject] = self.memo[key]
        return listed

    def source_bytes(self, uri: str, sha: str) -> bytes | None:
        """The bytes this run read as (``uri``, ``sha``), an object or one of its records
        (``Document.source``), for the evidence archive; None if it never read them."""
        cached = self._cache.get(uri)
        if cached is not None and cached[1] == sha:
            return cached[0]
        found = self.memo.get(("bytes", sha))
        return found if isinstance(found, bytes) else None

    def read(self, obj: StoredObject) -> tuple[bytes, str]:
        if obj.uri not in self._cache:
            if self.down:
                raise StoreUnavailable(self.down)
            limit = self.limits.document_bytes
            if obj.size is not None and obj.size > limit:
                raise ObjectRefused(_over(obj.uri, obj.size, limit))
            left = self.limits.run_bytes - self.bytes_read
            if left < min(obj.size or 0, limit) or left <= 0:
                raise ObjectRefused(
                    f"{obj.uri} not read: this run has read {self.bytes_read:,} bytes of "
                    f"{self.root}, the limit of {self.limits.run_bytes:,} (setting "
                    "max_run_bytes)"
                )
            try:
                data = self._fetch(obj, limit)
            except StoreUnavailable as exc:
                # one object refused (403) is that object's; a dead endpoint is everyone's
                raise (self._unreachable(exc) if _is_outage(exc) else exc) from None
            with self._listing_lock:  # collector threads read concurrently
                self.bytes_read += len(data)
                total = self.bytes_read
            if total > self.limits.run_bytes:
                raise ObjectRefused(
                    f"{obj.uri} not used: it takes this run's reads of {self.root} to "
                    f"{total:,} bytes, over the limit of {self.limits.run_bytes:,} "
                    "(setting max_run_bytes)"
                )
            self._cache[obj.uri] = (data, hashlib.sha256(data).hexdigest())
        return self._cache[obj.uri]


_OUTAGE = ("ConnectionError", "RetryError", "Timeout", "ServiceUnavailable", "TransportError")


def _is_outage(exc: Exception) -> bool:
    return any(word in str(exc) for word in _OUTAGE)


class LocalStore(CachingStore):
    """A folder of documents (``file:///abs/path`` or a plain path)."""

    def __init__(self, root: str | Path) -> None:
        super().__init__()
        text = str(root)
        self.path = Path(text[len("file://") :] if text.startswith("file://") else text)
        self.root = f"file://{self.path.resolve()}"

    def _list_all(self) -> list[StoredObject]:
        if not self.path.exists():
            return []
        if not self.path.is_dir():
            raise StoreUnavailable(f"{self.root} is not a folder")
        objects = []
        base = self.path.resolve()
        for folder, _dirs, files in os.walk(base):
            for filename in files:
                full = Path(folder) / filename
                objects.append(
                    StoredObject(uri=f"file://{full}", name=full.relative_to(base).as_posix())
                )
        return sorted(objects, key=lambda o: o.name)

    def _fetch(self, obj: StoredObject, limit: int) -> bytes:
        return read_regular_file(Path(obj.uri[len("file://") :]), limit, self.path)

    def child(self, prefix: str) -> LocalStore:
        child = LocalStore(self.path / prefix)
        child.limits = self.limits
        return child


#: URI scheme → ``module:Class`` of the store for it, imported on first use (a plug-in
#: registry, like the collectors' ``KINDS``: this module never imports an implementation).
SCHEMES: dict[str, str] = {"gs": "readiness.evidence.gcs:GcsStore"}


#: Evidence-root scheme → ``module:function`` that prepares one service's store for a run,
#: ``function(root, base, spec, as_of) -> EvidenceStore``. The embedded default's living
#: sample feed is registered here and nowhere else, so no module of the pipeline names it.
SERVICE_ROOTS: dict[str, str] = {
    "samplefeed": "readiness.samplefeed.feed:service_store",
    "samplegrants": "readiness.samplefeed.feed:grant_store",
}


def _resolve(entry: str) -> Any:
    module, _, name = entry.partition(":")
    return getattr(importlib.import_module(module), name)


def open_service_store(
    root: str,
    base: Path,
    spec: Any,
    as_of: Any,
    deadline_s: float | None = None,
    limits: ReadLimits | None = None,
) -> EvidenceStore:
    """One service's store under the evidence root ``root``: ``<root>/<service>``, or what a
    ``SERVICE_ROOTS`` scheme prepares for the run at ``as_of``."""
    root = root.rstrip("/")
    scheme = root.split("://", 1)[0] if "://" in root else ""
    if scheme in SERVICE_ROOTS:
        store: EvidenceStore = _resolve(SERVICE_ROOTS[scheme])(root, base, spec, as_of)
        store.limits = limits or store.limits
        return store
    return open_store(f"{root}/{spec.service}", base, deadline_s, limits)


def open_store(
    uri: str,
    base: Path | None = None,
    deadline_s: float | None = None,
    limits: ReadLimits | None = None,
) -> EvidenceStore:
    """Open a store by URI; relative local paths resolve against ``base`` (the project).
    ``deadline_s`` bounds a remote store's calls, retries included; ``limits`` its reads."""
    scheme = uri.split("://", 1)[0] if "://" in uri else ""
    store: EvidenceStore
    if scheme in SCHEMES:
        options = {"retry_s": deadline_s} if deadline_s else {}
        store = _resolve(SCHEMES[scheme])(uri, **options)
    else:
        path = Path(uri[len("file://") :] if uri.startswith("file://") else uri)
        if not path.is_absolute() and base is not None:
            path = base / path
        store = LocalStore(path)
    store.limits = limits or store.limits
    return store

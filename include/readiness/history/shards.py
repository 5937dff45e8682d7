"""Run shards: a recorded run waiting for the history transfer (docs/history.md).

With ``history_transfer`` set, a ``record`` task does not write the warehouse itself: it
writes its run as one shard (the rows of ``item_results``, ``evaluations`` and
``exemption_events``, and the verdict's statement without its place in the chain) named by
the run, so a retried task rewrites the same shard and never adds a second. The
``readiness__history_transfer`` DAG then loads every pending shard with one load job and
one ``MERGE`` per table and seals the verdicts in the order the shards were written
(``pipeline/transfer``). At 10,000 services that is a few statements every few minutes,
instead of five a run through a pool of two.

A shard is read as untrusted input: bounded in size, its rows checked against the schema,
and every row must belong to the run the shard names, so a shard can never replace another
service's history. One that fails is moved aside to ``rejected/`` with the reason beside it,
never deleted, and the rest of the batch goes on."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from readiness.evidence.gcs import parse_gs_uri, storage_client
from readiness.history.schema import TABLES
from readiness.support.jsonvalues import decode, jsonable

SHARD_FORMAT = "readiness.shard/1"
#: The largest shard read: a run of 200 items with full expectations is about 1 MB.
MAX_SHARD_BYTES = 16 * 1024 * 1024
PENDING = "pending"
REJECTED = "rejected"


class ShardProblem(Exception):
    """A shard that cannot be loaded: named by its file, the field, and what was expected."""


@dataclass(frozen=True)
class Shard:
    """One recorded run, as the transfer loads it."""

    service: str
    run_id: str
    written_at: datetime
    #: the ``evaluations`` row, without ``recorded_at`` (the transfer sets it)
    run: dict[str, Any]
    items: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    #: the in-toto statement, its chain link (sequence, previous, supersedes) left empty
    statement: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return shard_name(self.service, self.run_id)

    def to_bytes(self) -> bytes:
        data = {
            "format": SHARD_FORMAT,
            "service": self.service,
            "run_id": self.run_id,
            "written_at": self.written_at,
            "run": self.run,
            "items": self.items,
            "events": self.events,
            "statement": self.statement,
        }
        return json.dumps(jsonable(data, typed=True), separators=(",", ":")).encode()

    @classmethod
    def from_bytes(cls, data: bytes, where: str) -> Shard:
        """Parse and check a shard; ``ShardProblem`` names ``where``, the field and what was
        expected."""

        def problem(field_name: str, expected: str) -> ShardProblem:
            return ShardProblem(f"{where}: {field_name}: expected {expected}")

        try:
            raw = json.loads(data)
        except (ValueError, UnicodeDecodeError) as exc:
            raise problem("(file)", f"a JSON shard ({exc.__class__.__name__})") from None
        if not isinstance(raw, dict) or raw.get("format") != SHARD_FORMAT:
            raise problem("format", repr(SHARD_FORMAT))
        doc = decode(raw)
        service, run_id = doc.get("service"), doc.get("run_id")
        if not isinstance(service, str) or not service:
            raise problem("service", "a service name")
        if not isinstance(run_id, str) or not run_id:
            raise problem("run_id", "a run id")
        if not isinstance(doc.get("written_at"), datetime):
            raise problem("written_at", "a timestamp")
        run = _row(doc.get("run"), "evaluations", "run", problem)
        items = [_row(r, "item_results", f"items[{i}]", problem) for i, r in _rows(doc, "items")]
        events = [
            _row(r, "exemption_events", f"events[{i}]", problem) for i, r in _rows(doc, "events")
        ]
        for label, row in [("run", run), *((f"items[{i}]", r) for i, r in enumerate(items))]:
            if row.get("run_id") != run_id or row.get("service") != service:
                raise problem(f"{label}.run_id", f"a row of run {run_id!r} of {service!r} only")
            if not isinstance(row.get("evaluated_at"), datetime):
                raise problem(f"{label}.evaluated_at", "a timestamp")
        for i, row in enumerate(events):
            if row.get("service") != service or not isinstance(row.get("event_id"), str):
                raise problem(f"events[{i}]", f"an event of {service!r} with an event_id")
        statement = doc.get("statement")
        predicate = statement.get("predicate") if isinstance(statement, dict) else None
        if not isinstance(predicate, dict) or predicate.get("service") != service:
            raise problem("statement.predicate.service", repr(service))
        if (predicate.get("run") or {}).get("id") != run_id:
            raise problem("statement.predicate.run.id", repr(run_id))
        return cls(service, run_id, doc["written_at"], run, items, events, statement)


def _rows(doc: Mapping[str, Any], key: str) -> list[tuple[int, Any]]:
    value = doc.get(key, [])
    if not isinstance(value, list):
        raise ShardProblem(f"{key}: expected a list of rows")
    return list(enumerate(value))


def _row(value: Any, table: str, label: str, problem: Any) -> dict[str, Any]:
    """A row of ``table``: a mapping of its columns only (a newer writer's column that this
    transfer does not know is a problem, not silently dropped)."""
    if not isinstance(value, dict):
        raise problem(label, f"a row of {table}")
    known = {name for name, _kind in TABLES[table]}
    unknown = sorted(set(value) - known)
    if unknown:
        raise problem(f"{label}.{unknown[0]}", f"a column of {table}")
    return dict(value)


def shard_name(service: str, run_id: str) -> str:
    """A run's shard, named by a digest of the run: a retried task rewrites the same file,
    and nothing a spec names can reach outside the folder."""
    digest = hashlib.sha256(f"{service}\0{run_id}".encode()).hexdigest()[:40]
    return f"{PENDING}/{digest}.json"


class ShardStore:
    """A folder or ``gs://bucket/prefix`` of pending shards."""

    def __init__(self, root: str, project_root: Path | None = None, client: Any = None) -> None:
        self.root = root.rstrip("/")
        self._gcs = self.root.startswith("gs://")
        path = Path(self.root)
        self._folder = path if path.is_absolute() or project_root is None else project_root / path
        self._client = client

    def __repr__(self) -> str:
        return f"ShardStore({self.root!r})"

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = storage_client()
        return self._client

    def uri(self, name: str) -> str:
        return f"{self.root}/{name}"

    def _blob(self, name: str) -> Any:
        bucket, prefix = parse_gs_uri(self.root)
        return self.client.bucket(bucket).blob(f"{prefix.rstrip('/')}/{name}".lstrip("/"))

    def put(self, shard: Shard) -> str:
        """Write (or rewrite, on a retry) the run's shard; its URI."""
        data = shard.to_bytes()
        if self._gcs:
            self._blob(shard.name).upload_from_string(data, content_type="application/json")
        else:
            path = self._folder / shard.name
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            tmp.write_bytes(data)
            os.replace(tmp, path)
        return self.uri(shard.name)

    def has(self, service: str, run_id: str) -> bool:
        name = shard_name(service, run_id)
        return self._blob(name).exists() if self._gcs else (self._folder / name).is_file()

    def pending(self, limit: int) -> list[str]:
        """The oldest ``limit`` pending shards' names, oldest first."""
        found: list[tuple[float, str]] = []
        if self._gcs:
            bucket, prefix = parse_gs_uri(self.root)
            base = f"{prefix.rstrip('/')}/".lstrip("/")
            for blob in self.client.list_blobs(bucket, prefix=f"{base}{PENDING}/"):
                name = blob.name[len(base) :]
                if name.endswith(".json"):
                    updated = blob.updated.timestamp() if blob.updated else 0.0
                    found.append((updated, name))
        else:
            folder = self._folder / PENDING
            if folder.is_dir():
                for entry in os.scandir(folder):
                    if entry.name.endswith(".json") and entry.is_file(follow_symlinks=False):
                        found.append((entry.stat().st_mtime, f"{PENDING}/{entry.name}"))
        return [name for _at, name in sorted(found)[:limit]]

    def read(self, name: str) -> Shard:
        """A pending shard, parsed and checked (``ShardProblem`` otherwise)."""
        where = self.uri(name)
        try:
            if self._gcs:
                data = self._blob(name).download_as_bytes(end=MAX_SHARD_BYTES)
            else:
                with (self._folder / name).open("rb") as handle:
                    data = handle.read(MAX_SHARD_BYTES + 1)
        except Exception as exc:  # gone, unreadable, permissions: this shard, not the batch
            raise ShardProblem(f"{where}: (file): cannot be read ({type(exc).__name__})") from exc
        if len(data) > MAX_SHARD_BYTES:
            raise ShardProblem(f"{where}: (file): expected at most {MAX_SHARD_BYTES} bytes")
        shard = Shard.from_bytes(data, where)
        if shard.name != name:  # a copy under another run's name would replace that run
            raise ShardProblem(f"{where}: (name): expected {shard.name} for run {shard.run_id!r}")
        return shard

    def remove(self, name: str) -> None:
        """A loaded shard is done."""
        if self._gcs:
            from google.api_core.exceptions import NotFound

            with contextlib.suppress(NotFound):  # removed already (a retried transfer)
                self._blob(name).delete()
        else:
            (self._folder / name).unlink(missing_ok=True)

    def reject(self, name: str, why: str) -> str:
        """Move a shard that cannot be loaded aside, with the reason beside it: kept, to be
        fixed and moved back, never lost. Its new URI."""
        moved = f"{REJECTED}/{name.rsplit('/', 1)[-1]}"
        if self._gcs:
            bucket = self.client.bucket(parse_gs_uri(self.root)[0])
            bucket.copy_blob(self._blob(name), bucket, self._blob(moved).name)
            self._blob(f"{moved}.why.txt").upload_from_string(why.encode())
            self.remove(name)
        else:
            target = self._folder / moved
            target.parent.mkdir(parents=True, exist_ok=True)
            Path(f"{target}.why.txt").write_text(why + "\n")
            os.replace(self._folder / name, target)
        return self.uri(moved)

"""Content-addressed archives: the evidence archive (the exact bytes each verdict scored,
keyed by sha256) and the verdict archive (the signed envelopes as files).

Objects are written once and never overwritten: a folder writes through a temporary file
and a rename, and ``gs://`` uploads with ``if_generation_match=0`` (create only), so a
bucket with a retention lock can hold them. Reading an object checks its bytes against its
name: a swapped or corrupted file is an ``ArchiveProblem``, never evidence."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
from pathlib import Path
from typing import Any

from readiness.evidence.gcs import parse_gs_uri, storage_client

_SHA256 = re.compile(r"[0-9a-f]{64}")


class ArchiveProblem(Exception):
    """An object that is missing, unreadable, or holds bytes other than its name says."""


class Archive:
    """A folder or ``gs://bucket/prefix`` of objects named by their sha256."""

    def __init__(self, root: str, project_root: Path | None = None, client: Any = None) -> None:
        self.root = root.rstrip("/")
        self._gcs = self.root.startswith("gs://")
        if not self._gcs:
            path = Path(self.root)
            self._folder = (
                path if path.is_absolute() or project_root is None else project_root / path
            )
        self._client = client
        self._known: set[str] = set()

    def __repr__(self) -> str:
        return f"Archive({self.root!r})"

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = storage_client()
        return self._client

    def _name(self, sha: str) -> str:
        """Only a sha256 names an object: a digest read from a verdict can never point
        outside the archive."""
        if not isinstance(sha, str) or not _SHA256.fullmatch(sha):
            raise ArchiveProblem(f"{str(sha)[:80]!r} is not a sha256")
        return f"sha256/{sha[:2]}/{sha}"

    def uri(self, sha: str) -> str:
        return f"{self.root}/{self._name(sha)}"

    def put(self, data: bytes) -> str:
        """Store ``data`` once; returns its sha256."""
        sha = hashlib.sha256(data).hexdigest()
        if sha not in self._known:
            self.put_named(self._name(sha), data, check=False)
            self._known.add(sha)
        return sha

    def put_named(self, name: str, data: bytes, check: bool = True) -> str:
        """Store ``data`` under ``name`` unless something is there already; its URI.
        ``if_generation_match=0`` makes the upload create-only on Cloud Storage; ``check``
        also looks first (the emulator ignores the precondition), which a content-addressed
        object skips: rewriting its own bytes changes nothing."""
        if self._gcs:
            from google.api_core.exceptions import PreconditionFailed

            bucket, prefix = parse_gs_uri(self.root)
            blob = self.client.bucket(bucket).blob(f"{prefix.rstrip('/')}/{name}".lstrip("/"))
            if check and blob.exists():
                return f"{self.root}/{name}"
            with contextlib.suppress(PreconditionFailed):  # written before: immutable
                blob.upload_from_string(data, if_generation_match=0)
        else:
            path = self._folder / name
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
                tmp.write_bytes(data)
                os.replace(tmp, path)
        return f"{self.root}/{name}"

    def get(self, sha: str, limit: int = 64 * 1024 * 1024) -> bytes:
        """The bytes named ``sha``, checked against it."""
        name = self._name(sha)
        try:
            if self._gcs:
                bucket, prefix = parse_gs_uri(self.root)
                blob = self.client.bucket(bucket).blob(f"{prefix.rstrip('/')}/{name}".lstrip("/"))
                data = blob.download_as_bytes(end=limit)
            else:
                with (self._folder / name).open("rb") as handle:
                    data = handle.read(limit + 1)
        except FileNotFoundError:
            raise ArchiveProblem(f"{self.uri(sha)} is missing") from None
        except Exception as exc:  # NotFound, permissions, network: the object is not there
            raise ArchiveProblem(f"{self.uri(sha)} cannot be read: {type(exc).__name__}") from exc
        if len(data) > limit:
            raise ArchiveProblem(f"{self.uri(sha)} is larger than {limit} bytes")
        found = hashlib.sha256(data).hexdigest()
        if found != sha:
            raise ArchiveProblem(
                f"{self.uri(sha)} holds bytes whose sha256 is {found[:16]}…: swapped or corrupted"
            )
        return data

"""The evidence store on Google Cloud Storage: ``gs://<bucket>/<prefix>``.

Credentials are Application Default Credentials (Workload Identity); ``STORAGE_EMULATOR_HOST``
points the official client at an emulator. One listing per store per run (objects under the
prefix), one download per object per run; anything the API refuses or cannot answer is
``StoreUnavailable`` (status ``error``, retried by Airflow), never a missing document."""

from __future__ import annotations

import os
from typing import Any

from readiness.evidence.store import CachingStore, ObjectRefused, StoredObject, StoreUnavailable


def parse_gs_uri(uri: str) -> tuple[str, str]:
    """``gs://bucket/a/b`` → (``bucket``, ``a/b``)."""
    if not uri.startswith("gs://"):
        raise ValueError(f"expected gs://<bucket>/<prefix>, got {uri!r}")
    bucket, _slash, prefix = uri[len("gs://") :].partition("/")
    if not bucket:
        raise ValueError(f"expected gs://<bucket>/<prefix>, got {uri!r}")
    return bucket, prefix.strip("/")


def storage_client(project: str | None = None) -> Any:
    """The official client: ADC in production, anonymous against an emulator."""
    from google.cloud import storage

    if os.environ.get("STORAGE_EMULATOR_HOST"):
        from google.auth.credentials import AnonymousCredentials

        return storage.Client(
            project=project or os.environ.get("GOOGLE_CLOUD_PROJECT") or "emulator",
            credentials=AnonymousCredentials(),
        )
    return storage.Client(project=project)


class GcsStore(CachingStore):
    def __init__(self, uri: str, client: Any = None, retry_s: float = 30.0) -> None:
        super().__init__()
        self.bucket, self.prefix = parse_gs_uri(uri)
        #: Bounded here; past it the task fails and Airflow retries it with backoff.
        self.retry_s = retry_s
        self.root = f"gs://{self.bucket}/{self.prefix}".rstrip("/")
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = storage_client()
        return self._client

    def _budget(self) -> dict[str, Any]:
        from google.cloud.storage.retry import DEFAULT_RETRY

        return {
            "timeout": min(self.retry_s, 10.0),
            "retry": DEFAULT_RETRY.with_timeout(self.retry_s),
        }

    def _list_all(self) -> list[StoredObject]:
        base = f"{self.prefix}/" if self.prefix else ""
        try:
            blobs = list(self.client.list_blobs(self.bucket, prefix=base, **self._budget()))
        except Exception as exc:  # NotFound bucket, Forbidden, 5xx, network
            raise StoreUnavailable(
                f"cannot list {self.root}: {type(exc).__name__}: {_short(exc)}"
            ) from exc
        return sorted(
            (
                StoredObject(
                    uri=f"gs://{self.bucket}/{blob.name}",
                    name=blob.name[len(base) :],
                    size=blob.size,
                )
                for blob in blobs
                if not blob.name.endswith("/")
            ),
            key=lambda o: o.name,
        )

    def _fetch(self, obj: StoredObject, limit: int) -> bytes:
        name = obj.uri[len(f"gs://{self.bucket}/") :]
        try:
            # a range of limit + 1 bytes: an object larger than the listing said is
            # still never downloaded whole
            data: bytes = (
                self.client.bucket(self.bucket)
                .blob(name)
                .download_as_bytes(start=0, end=limit, **self._budget())
            )
        except Exception as exc:
            raise StoreUnavailable(
                f"cannot read {obj.uri}: {type(exc).__name__}: {_short(exc)}"
            ) from exc
        if len(data) > limit:
            raise ObjectRefused(
                f"{obj.uri} is over the limit of {limit:,} bytes (setting "
                "max_document_bytes); not read"
            )
        return data

    def child(self, prefix: str) -> GcsStore:
        child = GcsStore(f"{self.root}/{prefix.strip('/')}", self._client, self.retry_s)
        child.limits = self.limits
        return child


def _short(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= 200 else text[:197] + "..."

"""The content-addressed archive, on a folder and on Cloud Storage (the emulator): each
object written once, and read back only if its bytes are what its name says."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path
from typing import Any

import pytest

from readiness.evidence.archive import Archive, ArchiveProblem


def _round_trip(archive: Archive, swap: Any) -> None:
    sha = archive.put(b"drill passed")
    assert sha == hashlib.sha256(b"drill passed").hexdigest()
    assert archive.put(b"drill passed") == sha  # once
    assert archive.get(sha) == b"drill passed"
    with pytest.raises(ArchiveProblem, match=r"missing|cannot be read"):
        archive.get(hashlib.sha256(b"never stored").hexdigest())
    swap(sha, b"drill failed")
    with pytest.raises(ArchiveProblem, match="swapped or corrupted"):
        archive.get(sha)


def test_a_folder_archive_writes_once_and_catches_a_swapped_file(tmp_path: Path) -> None:
    archive = Archive(str(tmp_path / "archive"))

    def swap(sha: str, data: bytes) -> None:
        (tmp_path / "archive" / "sha256" / sha[:2] / sha).write_bytes(data)

    _round_trip(archive, swap)
    archive.put_named("svc/1.json", b"first")
    archive.put_named("svc/1.json", b"second")  # never overwritten
    assert (tmp_path / "archive" / "svc" / "1.json").read_bytes() == b"first"


def test_a_bucket_archive_creates_only_and_catches_a_swapped_object(gcs_client: Any) -> None:
    bucket = f"archive-{uuid.uuid4().hex[:8]}"
    gcs_client.create_bucket(bucket)
    archive = Archive(f"gs://{bucket}/evidence", client=gcs_client)

    def swap(sha: str, data: bytes) -> None:
        gcs_client.bucket(bucket).blob(f"evidence/sha256/{sha[:2]}/{sha}").upload_from_string(data)

    _round_trip(archive, swap)
    archive.put_named("svc/1.json", b"first")
    archive.put_named("svc/1.json", b"second")
    assert gcs_client.bucket(bucket).blob("evidence/svc/1.json").download_as_bytes() == b"first"


def test_only_a_sha256_names_an_object(tmp_path: Path) -> None:
    """A digest read from a (possibly forged) verdict never reaches outside the archive."""
    (tmp_path / "secret").write_bytes(b"not evidence")
    archive = Archive(str(tmp_path / "archive"))
    for name in ("../../secret", "A" * 64, "", "0" * 63):
        with pytest.raises(ArchiveProblem, match="is not a sha256"):
            archive.get(name)

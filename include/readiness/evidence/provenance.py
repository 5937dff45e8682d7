"""Provenance helpers shared by collectors: one sha256 for evidence read from many objects."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable


def combined_sha256(parts: Iterable[tuple[str, str]]) -> str:
    """sha256 over sorted ``uri:sha256`` lines: stable whatever order objects were read in."""
    digest = hashlib.sha256()
    for uri, sha in sorted(set(parts)):
        digest.update(f"{uri}:{sha}\n".encode())
    return digest.hexdigest()


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()

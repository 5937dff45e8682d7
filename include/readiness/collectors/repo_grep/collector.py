"""The ``repo_grep`` collector: how many lines match a pattern in the repository."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from readiness.collectors import CollectRequest
from readiness.domain.model import Evidence
from readiness.evidence.repo import PathEscape, checkout, iter_files
from readiness.evidence.store import ObjectRefused, StoreUnavailable, read_regular_file
from readiness.support.timeutil import utcnow

COLUMNS = ("pattern", "files_scanned", "matches", "files_matching", "sample")


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pattern: str
    paths: list[str] = Field(default=["**/*"], min_length=1)
    exclude: list[str] = []
    sample: int = Field(default=5, ge=0, le=50)

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"pattern does not compile: {exc}") from exc
        return value


class RepoGrepCollector:
    kind: ClassVar[str] = "repo_grep"
    source: ClassVar[str] = "repo"
    outage: ClassVar[str] = "endpoint"
    recorded: ClassVar[str | None] = None
    Params: ClassVar[type[BaseModel]] = Params

    def collect(self, request: CollectRequest) -> Evidence:
        params = Params.model_validate(request.params)
        fetched_at = utcnow()
        root = checkout(
            request.service, request.project_root, request.context.repo_roots, fetched_at
        )
        if isinstance(root, Evidence):
            return root
        regex = re.compile(params.pattern)
        try:
            files = iter_files(root, params.paths, params.exclude)
        except PathEscape as exc:
            return Evidence.failed(f"file://{root}", fetched_at, str(exc))
        if not files:
            return Evidence.missing(f"file://{root}", fetched_at, f"no file matched {params.paths}")
        digest = hashlib.sha256()
        matches = files_matching = 0
        sample: list[str] = []
        newest = 0.0
        resolved = root.resolve()
        for path in files:
            try:
                data = read_regular_file(path, request.context.max_document_bytes, root)
            except (ObjectRefused, StoreUnavailable) as exc:
                return Evidence.failed(f"file://{root}", fetched_at, str(exc))
            digest.update(hashlib.sha256(data).digest())
            newest = max(newest, path.stat().st_mtime)
            hit = False
            for number, line in enumerate(data.decode("utf-8", "replace").splitlines(), 1):
                if regex.search(line):
                    matches += 1
                    hit = True
                    if len(sample) < params.sample:
                        rel = path.resolve().relative_to(resolved).as_posix()
                        sample.append(f"{rel}:{number}: {line.strip()[:120]}")
            files_matching += hit
        row = {
            "pattern": params.pattern,
            "files_scanned": len(files),
            "matches": matches,
            "files_matching": files_matching,
            "sample": "\n".join(sample),
        }
        return Evidence(
            rows=[row],
            columns=COLUMNS,
            uri=f"file://{resolved}",
            sha256=digest.hexdigest(),
            fetched_at=fetched_at,
            observed_at=request.as_of,  # the checkout as the as-of sees it, not the read
            summary={
                "matches": matches,
                "files_scanned": len(files),
                "newest_file": datetime.fromtimestamp(newest, UTC).isoformat(),
            },
        )


COLLECTOR = RepoGrepCollector()

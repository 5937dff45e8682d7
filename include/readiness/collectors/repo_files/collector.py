"""The ``repo_files`` collector: named files present in the repository, with sizes."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from readiness.collectors import CollectRequest
from readiness.domain.model import Evidence
from readiness.evidence.repo import PathEscape, checkout, iter_files, safe_path
from readiness.evidence.store import ObjectRefused, StoreUnavailable, read_regular_file
from readiness.support.timeutil import utcnow

COLUMNS = ("path", "exists", "files", "lines", "bytes")


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid")

    paths: list[str] = Field(min_length=1)


class RepoFilesCollector:
    kind: ClassVar[str] = "repo_files"
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
        digest = hashlib.sha256()
        rows: list[dict[str, Any]] = []
        newest: float | None = None
        try:
            for entry in params.paths:
                if any(ch in entry for ch in "*?["):
                    files = iter_files(root, [entry], [])
                else:
                    target = safe_path(root, entry)
                    files = [target] if target.is_file() else []
                lines = size = 0
                for path in files:
                    data = read_regular_file(path, request.context.max_document_bytes, root)
                    digest.update(
                        path.relative_to(root.resolve()).as_posix().encode()
                        if path.is_relative_to(root.resolve())
                        else b""
                    )
                    digest.update(hashlib.sha256(data).digest())
                    lines += data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)
                    size += len(data)
                    mtime = path.stat().st_mtime
                    newest = mtime if newest is None else max(newest, mtime)
                rows.append(
                    {
                        "path": entry,
                        "exists": bool(files),
                        "files": len(files),
                        "lines": lines,
                        "bytes": size,
                    }
                )
        except (PathEscape, ObjectRefused, StoreUnavailable) as exc:
            return Evidence.failed(f"file://{root}", fetched_at, str(exc))
        except OSError as exc:
            return Evidence.failed(
                f"file://{root}", fetched_at, f"cannot read {exc.filename}: {exc.strerror}"
            )
        return Evidence(
            rows=rows,
            columns=COLUMNS,
            uri=f"file://{root.resolve()}",
            sha256=digest.hexdigest(),
            fetched_at=fetched_at,
            # the checkout as it stands is what an evaluation as of ``as_of`` sees: dated by
            # the as-of, not by the read, so a re-run of the same as-of dates it the same
            observed_at=request.as_of,
            summary={
                "present": sum(1 for r in rows if r["exists"]),
                "paths": len(rows),
                "newest_file": datetime.fromtimestamp(newest, UTC).isoformat() if newest else None,
            },
        )


COLLECTOR = RepoFilesCollector()

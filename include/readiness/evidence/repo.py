"""A checked-out repository, read safely: the repository must lie under a configured
repository root (``repo_roots``), and no path may escape the repository."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path, PurePosixPath

from readiness.domain.model import Evidence, ServiceSpec


class PathEscape(ValueError):
    """A path that would leave the repository root (``..``, absolute, or a symlink out)."""


def repo_root(spec: ServiceSpec, project_root: str) -> Path | None:
    if not spec.repo:
        return None
    root = Path(spec.repo)
    return root if root.is_absolute() else Path(project_root) / root


def outside_roots(root: Path, roots: Sequence[str | Path]) -> list[Path]:
    """The resolved repository roots, if ``root`` lies under none of them (else [])."""
    allowed = [Path(r).resolve() for r in roots]
    resolved = root.resolve()
    return [] if any(resolved == a or resolved.is_relative_to(a) for a in allowed) else allowed


def checkout(
    spec: ServiceSpec, project_root: str, roots: Sequence[str], fetched_at: datetime
) -> Path | Evidence:
    """The service's repository, or the Evidence that says why it cannot be read: none
    configured or not there (``missing``), or outside every repository root (``error``: a
    spec pointed at ``/proc/self`` must not copy a worker's environment into history)."""
    root = repo_root(spec, project_root)
    if root is None or not root.is_dir():
        why = "no repository configured" if root is None else f"{root} does not exist"
        return Evidence.missing(f"file://{root}" if root else None, fetched_at, why)
    allowed = outside_roots(root, roots or [project_root])
    if allowed:
        return Evidence.failed(
            f"file://{root}",
            fetched_at,
            f"{spec.file}: repo {spec.repo!r} is outside the repository roots "
            f"({', '.join(map(str, allowed))}); expected a path under one of them "
            "(setting repo_roots)",
        )
    return root


def safe_path(root: Path, relative: str) -> Path:
    """Resolve ``relative`` under ``root``; raise PathEscape if it would leave it."""
    pure = PurePosixPath(relative)
    if pure.is_absolute() or ".." in pure.parts:
        raise PathEscape(f"path {relative!r} must be relative to the repository root without '..'")
    resolved_root = root.resolve()
    candidate = (root / relative).resolve()
    if candidate != resolved_root and not candidate.is_relative_to(resolved_root):
        raise PathEscape(f"path {relative!r} resolves outside the repository root (symlink?)")
    return candidate


def iter_files(root: Path, patterns: list[str], exclude: list[str]) -> list[Path]:
    """Files under root matching any glob in ``patterns`` and none in ``exclude``,
    never following a symlink out of the root."""
    resolved_root = root.resolve()
    out: set[Path] = set()
    for pattern in patterns:
        safe_path(root, pattern.split("*")[0] or ".")
        for path in root.glob(pattern):
            if not path.is_file():
                continue
            real = path.resolve()
            if not real.is_relative_to(resolved_root):
                continue
            rel = path.relative_to(root).as_posix()
            if any(PurePosixPath(rel).match(ex) for ex in exclude):
                continue
            out.add(path)
    return sorted(out)

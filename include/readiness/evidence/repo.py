"""A checked-out repository, read safely: no path may escape the configured root."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from readiness.model import ServiceSpec


class PathEscape(ValueError):
    """A path that would leave the repository root (``..``, absolute, or a symlink out)."""


def repo_root(spec: ServiceSpec, project_root: str) -> Path | None:
    if not spec.repo:
        return None
    root = Path(spec.repo)
    return root if root.is_absolute() else Path(project_root) / root


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

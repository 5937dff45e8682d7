from __future__ import annotations

from pathlib import Path

from readiness.collectors.repo_files.collector import COLLECTOR
from readiness.testing.collectors import request


def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "docs").mkdir(parents=True)
    (root / "docs" / "a.md").write_text("one\ntwo\nthree\n")
    (root / "docs" / "b.md").write_text("x")
    return root


def test_rows_per_path_with_lines(tmp_path: Path) -> None:
    root = repo(tmp_path)
    ev = COLLECTOR.collect(
        request({"paths": ["docs/a.md", "docs/*.md", "nope.md"]}, tmp_path, repo=root)
    )
    assert [(r["path"], r["exists"], r["files"], r["lines"]) for r in ev.rows] == [
        ("docs/a.md", True, 1, 3),
        ("docs/*.md", True, 2, 4),
        ("nope.md", False, 0, 0),
    ]


def test_no_repository_is_missing(tmp_path: Path) -> None:
    ev = COLLECTOR.collect(request({"paths": ["a"]}, tmp_path))
    assert not ev.found and "no repository" in ev.summary["missing"]


def test_paths_cannot_escape_the_root(tmp_path: Path) -> None:
    root = repo(tmp_path)
    (tmp_path / "secret.txt").write_text("s")
    (root / "link.txt").symlink_to(tmp_path / "secret.txt")
    for bad in ("../secret.txt", "/etc/passwd", "link.txt"):
        ev = COLLECTOR.collect(request({"paths": [bad]}, tmp_path, repo=root))
        assert ev.error is not None and bad in ev.error, bad

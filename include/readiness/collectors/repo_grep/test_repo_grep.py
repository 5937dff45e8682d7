from __future__ import annotations

from pathlib import Path

from readiness.collectors._testing import request
from readiness.collectors.repo_grep.collector import COLLECTOR


def test_counts_matching_lines_with_a_sample(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / "src" / "domain").mkdir(parents=True)
    (root / "src" / "domain" / "a.ts").write_text("x\n// TODO fix\nconst y = 1 // FIXME\n")
    (root / "src" / "domain" / "a.spec.ts").write_text("// TODO in a test\n")
    ev = COLLECTOR.collect(
        request(
            {"pattern": r"\b(TODO|FIXME)\b", "paths": ["src/**/*.ts"], "exclude": ["**/*.spec.ts"]},
            tmp_path,
            repo=root,
        )
    )
    [row] = ev.rows
    assert (row["matches"], row["files_scanned"], row["files_matching"]) == (2, 1, 1)
    assert row["sample"].startswith("src/domain/a.ts:2: // TODO fix")


def test_scanning_nothing_is_missing(tmp_path: Path) -> None:
    (tmp_path / "repo").mkdir()
    ev = COLLECTOR.collect(
        request({"pattern": "x", "paths": ["src/**/*.ts"]}, tmp_path, repo=tmp_path / "repo")
    )
    assert not ev.found

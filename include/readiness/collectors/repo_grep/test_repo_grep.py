from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from readiness.collectors import CollectContext
from readiness.collectors.repo_grep.collector import COLLECTOR
from readiness.testing.collectors import request


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


def test_a_repo_outside_the_repository_roots_is_an_error_and_copies_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The issue's attack: a spec whose repo is /proc/self greps the worker's environment,
    where LINEAR_API_KEY may live, into XCom and history."""
    monkeypatch.setenv("LINEAR_API_KEY", "lin_api_secret_in_the_worker")
    (tmp_path / "checkouts").mkdir()
    req = request({"pattern": "LINEAR", "paths": ["environ"]}, tmp_path, repo=Path("/proc/self"))
    req = replace(req, context=CollectContext(repo_roots=(str(tmp_path / "checkouts"),)))
    ev = COLLECTOR.collect(req)
    assert ev.error and "svc.yaml" in ev.error and "repo_roots" in ev.error
    assert ev.rows == [] and "lin_api_secret" not in repr(ev)

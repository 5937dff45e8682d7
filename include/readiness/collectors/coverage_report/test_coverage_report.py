"""coverage_report: hand-computed percentages from each format, per prefix; the newest
report; what is missing or broken."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from readiness.collectors.coverage_report.collector import COLLECTOR
from readiness.testing.collectors import request

DATA = Path(__file__).with_name("testdata")


def test_cobertura_lines_and_branches_per_prefix() -> None:
    ev = COLLECTOR.collect(request({"prefixes": ["src/domain/", "src/api/"]}, DATA / "cobertura"))
    assert ev.error is None and ev.found
    domain, api = ev.rows
    # src/domain/file.ts: 4 lines, 3 hit; branches 1/2 + 2/2 = 3/4
    assert (domain["lines_total"], domain["lines_covered"], domain["lines_pct"]) == (4, 3, 75.0)
    assert (domain["branches_total"], domain["branches_covered"], domain["branches_pct"]) == (
        4,
        3,
        75.0,
    )
    # ./src/api/routes.ts is normalised; no branches -> branches_pct is null, not 0 or 100
    assert (api["lines_pct"], api["branches_pct"], api["files"]) == (100.0, None, 1)
    assert ev.observed_at == datetime(2026, 11, 18, 6, 0, tzinfo=UTC)  # timestamp attr, ms
    assert len(ev.sha256) == 64 and ev.uri.endswith("2026-11-18-cobertura.xml")


def test_lcov_uses_summary_lines_and_the_date_in_the_name() -> None:
    ev = COLLECTOR.collect(
        request({"prefixes": ["src/domain/", "src/application/"]}, DATA / "lcov")
    )
    domain, application = ev.rows
    assert (domain["lines_pct"], domain["branches_pct"]) == (75.0, 50.0)  # LH/LF, BRH/BRF
    assert (application["lines_pct"], application["branches_pct"]) == (100.0, None)
    assert ev.observed_at == datetime(2026, 11, 17, tzinfo=UTC)


def test_coverage_py_json() -> None:
    ev = COLLECTOR.collect(request({"prefixes": "readiness/"}, DATA / "json"))
    (row,) = ev.rows
    assert (row["lines_pct"], row["branches_pct"], row["files"]) == (
        90.0,
        82.0,
        2,
    )  # 270/300, 41/50


def test_a_prefix_without_files_is_missing_never_a_pass() -> None:
    ev = COLLECTOR.collect(
        request({"prefixes": ["src/domain/", "integration/"]}, DATA / "cobertura")
    )
    assert not ev.found and "no files under 'integration/'" in ev.summary["missing"]


def test_no_report_is_missing() -> None:
    ev = COLLECTOR.collect(request({"prefixes": "src/"}, DATA / "nowhere"))
    assert not ev.found


def test_a_report_newer_than_the_evaluation_is_not_used() -> None:
    early = datetime(2025, 1, 1, tzinfo=UTC)
    ev = COLLECTOR.collect(request({"prefixes": "src/"}, DATA / "lcov", as_of=early))
    assert not ev.found


def test_a_broken_report_is_an_error_naming_the_object_and_line() -> None:
    ev = COLLECTOR.collect(request({"prefixes": "src/"}, DATA / "broken"))
    assert ev.error is not None and "lcov.info" in ev.error and "line 2" in ev.error

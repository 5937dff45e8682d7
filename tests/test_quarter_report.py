"""The quarterly report over a simulated quarter (backfilled with ``--as-of`` runs): its
figures match the history tables, recomputed here independently from the raw rows."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from quarter_project import make_project, simulate_quarter
from readiness.audit.reports import write_quarter_report
from readiness.audit.reports.quarterly import build_quarter_report, quarter_bounds
from readiness.cli.main import main
from readiness.history import history_for
from readiness.spec.config import Settings
from readiness.support.timeutil import parse_timestamp


@pytest.fixture(scope="module")
def quarter(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return simulate_quarter(tmp_path_factory.mktemp("quarter"))


def _raw(settings: Settings, sql: str) -> list[dict[str, Any]]:
    history = history_for(settings)
    return history.query(sql.replace("{ds}", "readiness"))


def test_figures_match_the_history_tables(quarter: Settings) -> None:
    history = history_for(quarter)
    report = build_quarter_report(history, "2026Q4", now=datetime(2027, 1, 2, tzinfo=UTC))
    start, end = quarter_bounds("2026Q4")
    evaluations = _raw(
        quarter,
        "SELECT service, evaluated_at, achieved_level, achieved_rank, target_rank "
        "FROM {ds}.evaluations ORDER BY service, evaluated_at",
    )
    items = _raw(
        quarter,
        "SELECT service, item_id, evaluated_at, effective_status, regressed "
        "FROM {ds}.item_results ORDER BY service, item_id, evaluated_at",
    )
    by_service: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in evaluations:
        by_service[row["service"]].append(row)
    assert [s.service for s in report.services] == ["alpha", "beta"]
    for sq in report.services:
        rows = [r for r in by_service[sq.service] if r["evaluated_at"] < end]
        # level at quarter end: the last evaluation before the quarter ended
        assert sq.level_at_end == rows[-1]["achieved_level"]
        # time below target: each evaluation holds until the next, clipped to the quarter
        below = 0.0
        for pos, row in enumerate(rows):
            until = rows[pos + 1]["evaluated_at"] if pos + 1 < len(rows) else end
            if row["achieved_rank"] < row["target_rank"]:
                below += (until - max(row["evaluated_at"], start)).total_seconds()
        assert sq.below_target_seconds == pytest.approx(below)
        # regressions opened in the quarter: item rows flagged regressed
        regressed = [
            r
            for r in items
            if r["service"] == sq.service and r["regressed"] and start <= r["evaluated_at"] < end
        ]
        assert sq.opened == len(regressed)
        assert sorted(e.item_id for e in sq.episodes if e.opened_at >= start) == sorted(
            r["item_id"] for r in regressed
        )
        # remediated: the first satisfied row after a regression, inside the quarter
        closed = 0
        for regression in regressed:
            later = [
                r
                for r in items
                if r["service"] == sq.service
                and r["item_id"] == regression["item_id"]
                and r["evaluated_at"] > regression["evaluated_at"]
            ]
            fixed = next((r for r in later if r["effective_status"] in ("pass", "waived")), None)
            if fixed is not None and fixed["evaluated_at"] < end:
                closed += 1
                episode = next(e for e in sq.episodes if e.opened_at == regression["evaluated_at"])
                assert episode.closed_at == fixed["evaluated_at"]
        assert sq.closed == closed

    alpha, beta = report.services
    # the story the evidence tells
    assert [(e.item_id, e.opened_at.date().isoformat()) for e in alpha.episodes] == [
        ("RP3", "2026-11-09")
    ]
    assert alpha.episodes[0].closed_at == parse_timestamp("2026-11-16T06:00:00Z")
    assert alpha.median_days_to_remediate == pytest.approx(7.0)
    assert beta.episodes[0].item_id == "RP3" and beta.episodes[0].closed_at is None
    # SO2 waited for its security sign-off until November; RP3 has been stale since 11-30
    longest = {f.item_id: f for f in beta.failing_longest}
    assert [f.item_id for f in beta.failing_longest][:2] == ["SO2", "RP3"]
    assert longest["SO2"].status_at_end == "pass" and longest["SO2"].failing_since is None
    assert longest["RP3"].status_at_end == "stale"
    assert longest["RP3"].failing_since == parse_timestamp("2026-11-30T06:00:00Z")
    assert longest["RP3"].failing_seconds == (end - longest["RP3"].failing_since).total_seconds()
    # sign-offs due by the end of 2027Q1 (the Q3 signature counts until 2026-12-31, the
    # last day of the period: to renew, not yet expired)
    alpha_due = {(s.item_id, s.role): s.state for s in alpha.signoffs}
    assert alpha_due == {
        ("SO1", "Tech lead"): "renew",
        ("SO2", "SRE"): "renew",
        ("SO2", "Security"): "renew",
        ("SO3", "Product"): "unsigned",
    }
    assert [w.item_id for w in alpha.waivers] == ["SO3"]  # RP3's waiver outlives 2027Q1
    # the report knows nothing of the next quarter's quarterly run
    assert all(p.at < end for p in alpha.timeline)


def test_report_is_written_as_markdown_and_self_contained_html(
    quarter: Settings, tmp_path: Path
) -> None:
    history = history_for(quarter)
    written = write_quarter_report(
        history,
        "2026Q4",
        str(tmp_path / "reports"),
        quarter.project_root,
        now=datetime(2027, 1, 1, 7, tzinfo=UTC),
        run_key="quarterly:2027Q1",
    )
    assert sorted(written.files) == [
        "readiness-2026Q4-alpha.svg",
        "readiness-2026Q4-beta.svg",
        "readiness-2026Q4.html",
        "readiness-2026Q4.md",
    ]
    page = Path(written.files["readiness-2026Q4.html"]).read_text()
    assert page.count("<svg") == 4  # a ribbon per service in the portfolio, a chart each
    assert "http" not in page.replace("http://www.w3.org/2000/svg", "")  # nothing external
    markdown = Path(written.files["readiness-2026Q4.md"]).read_text()
    assert "| [alpha](#alpha) | L2 | L2 |" in markdown
    assert "![alpha level timeline](readiness-2026Q4-alpha.svg)" in markdown
    # the quarterly run's evaluations point at the report
    uris = {
        r["report_uri"]
        for r in history.query(
            "SELECT report_uri FROM readiness.evaluations WHERE run_key = 'quarterly:2027Q1'"
        )
    }
    assert uris == {written.uri}


def test_report_command(
    quarter: Settings,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("READINESS_HOME", str(quarter.project_root))
    monkeypatch.setenv("READINESS_CHECKLISTS", str(quarter.project_root / "checklists"))
    monkeypatch.setenv("READINESS_SERVICES", str(quarter.project_root / "services"))
    monkeypatch.setenv("READINESS_HISTORY", quarter.history)
    monkeypatch.setenv("READINESS_REPORTS", str(tmp_path / "out"))
    assert main(["report", "--quarter", "2026Q4", "--as-of", "2027-01-02", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["quarter"] == "2026Q4"
    assert {s["service"]: s["level_at_end"] for s in summary["services"]} == {
        "alpha": "L2",
        "beta": "none",
    }
    assert Path(summary["files"]["readiness-2026Q4.html"]).exists()
    assert main(["report", "--quarter", "2026Q5"]) == 1
    assert "expected a quarter like 2026Q4" in capsys.readouterr().err


def test_a_quarter_with_no_history_still_gives_a_report(tmp_path: Path) -> None:
    settings = make_project(tmp_path)
    report = build_quarter_report(history_for(settings), "2026Q3")
    assert report.services == []
    assert not report.in_progress
    assert timedelta(days=92) == report.end - report.start


def test_gate_applies_the_promotion_rule_from_history(
    quarter: Settings, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("READINESS_HOME", str(quarter.project_root))
    monkeypatch.setenv("READINESS_CHECKLISTS", str(quarter.project_root / "checklists"))
    monkeypatch.setenv("READINESS_SERVICES", str(quarter.project_root / "services"))
    monkeypatch.setenv("READINESS_HISTORY", quarter.history)
    capsys.readouterr()
    # alpha reached L2 on 11-16: two weeks later it is at L2 but has not held it 28 days
    assert main(["gate", "alpha", "--level", "L2", "--as-of", "2026-11-30T07:00:00Z"]) == 1
    out = capsys.readouterr().out
    assert "no: alpha is at L2 (≥ L2)" in out
    assert "promotion to L2 (Pilot entry): 2 of 3 criteria met" in out
    assert "✗ held L1 or better for 28d: since 2026-11-16 (14 d)" in out
    assert "✓ SO1 Sign-off: tech lead: satisfied" in out
    # six weeks in, it has
    assert main(["gate", "alpha", "--level", "L2", "--as-of", "2026-12-28T07:00:00Z"]) == 0
    assert "✓ held L1 or better for 28d: since 2026-11-16 (42 d)" in capsys.readouterr().out
    # beta dropped out of L1 on 11-30: the level and the rule both say no
    assert main(["gate", "beta", "--level", "L2", "--as-of", "2026-12-28T07:00:00Z"]) == 1
    out = capsys.readouterr().out
    assert "no: beta is at none, below L2" in out
    assert "✗ held L1 or better for 28d: not at L1 in the latest evaluation" in out
    # a level without a rule is judged on the level alone
    assert main(["gate", "alpha", "--level", "L1", "--as-of", "2026-12-28T07:00:00Z"]) == 0
    assert "promotion" not in capsys.readouterr().out


def test_report_goes_to_a_gs_report_store(quarter: Settings, gcs_client: Any) -> None:
    import uuid

    bucket = f"readiness-reports-{uuid.uuid4().hex[:8]}"
    gcs_client.create_bucket(bucket)
    written = write_quarter_report(
        history_for(quarter),
        "2026Q4",
        f"gs://{bucket}/reports",
        quarter.project_root,
        now=datetime(2027, 1, 1, 7, tzinfo=UTC),
    )
    assert written.uri == f"gs://{bucket}/reports/2026Q4/readiness-2026Q4.html"
    blob = gcs_client.bucket(bucket).get_blob("reports/2026Q4/readiness-2026Q4.html")
    assert blob.content_type.startswith("text/html")
    assert blob.download_as_text().startswith("<!doctype html>")
    names = sorted(b.name for b in gcs_client.list_blobs(bucket))
    assert names == sorted(f"reports/2026Q4/{n}" for n in written.files)


def test_the_report_lists_the_lapses_forecast_in_the_next_quarter(quarter: Settings) -> None:
    """From each service's last evaluation in the quarter, if nothing is renewed: the same
    drops ``readiness forecast`` replays, those that fall in 2027Q1."""
    from readiness.audit.forecast import service_forecast
    from readiness.audit.reports.render import render_markdown
    from readiness.spec.loader import load_catalog_cached

    catalog = load_catalog_cached(quarter.checklist_paths, quarter.service_paths)
    history = history_for(quarter)
    now = datetime(2027, 1, 2, tzinfo=UTC)
    report = build_quarter_report(history, "2026Q4", now=now, catalog=catalog)
    next_start, next_end = quarter_bounds("2027Q1")
    assert build_quarter_report(history, "2026Q4", now=now).services[0].lapses is None
    found = 0
    for sq in report.services:
        # the service's state at the quarter's end, forecast past the next quarter's end
        ahead = service_forecast(catalog, history, sq.service, next_start - timedelta(0, 1), 120)
        assert ahead is not None
        expected = [d.as_json() for d in ahead.drops if next_start <= d.at < next_end]
        assert sq.lapses == expected, sq.service
        found += len(expected)
    assert found > 0  # the story's sign-offs and drills run out in 2027Q1
    markdown = render_markdown(report)
    assert "### Lapses forecast in 2027Q1" in markdown
    first = next(sq for sq in report.services if sq.lapses)
    section = markdown.split(f"## {first.service}", 1)[1].split("### Lapses forecast", 1)[1]
    cause = first.lapses[0]["causes"][0]["item_id"]
    assert f"| {first.lapses[0]['level']} | {first.lapses[0]['falls_to']} | {cause}" in section

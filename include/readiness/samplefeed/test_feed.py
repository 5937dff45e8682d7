"""The living embedded default: the sample feed keeps both services where the story left them
on any date, runs a weekly regression and its remediation, and gives the same evidence for
the same as-of whatever was fed before. Every date here is pinned; none is today's."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from readiness.domain.model import ServiceEvaluation
from readiness.pipeline.collect import service_store
from readiness.pipeline.engine import evaluate
from readiness.samplefeed import feed as sample_feed
from readiness.spec.config import Settings
from readiness.spec.loader import load_catalog

ROOT = Path(__file__).resolve().parents[3]
FSS, MNT = "file-storage-service", "maintenance-service"
STORY = datetime(2026, 11, 20, 6, tzinfo=UTC)


def _settings(tmp: Path, evidence_root: str) -> Settings:
    return Settings(
        project_root=ROOT,
        evidence_root=evidence_root,
        # the living feed's risk register renews its grants too; the story's are fixed
        exemptions_root=f"samplegrants://{tmp}/exemptions"
        if evidence_root.startswith("samplefeed://")
        else "samples/exemptions",
        history=f"duckdb://{tmp}/history.duckdb",
        outbox=str(tmp / "outbox"),
        collect_workers=1,
    )


def _not_passing(ev: ServiceEvaluation) -> dict[str, str]:
    return {
        r.item.id: r.effective_status.value for r in ev.items if r.effective_status.value != "pass"
    }


def _by_service(settings: Settings, as_of: datetime) -> dict[str, ServiceEvaluation]:
    report = evaluate(settings, as_of=as_of, dry_run=True)
    return {e.service: e for e in report.evaluations}


def _weekday(day: date, weekday: int) -> date:
    """The first ``weekday`` (0 = Monday) on or after ``day``."""
    return day + timedelta(days=(weekday - day.weekday()) % 7)


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> dict[str, ServiceEvaluation]:
    tmp = tmp_path_factory.mktemp("story")
    return _by_service(_settings(tmp, "samples/evidence"), STORY)


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 12, 3),  # days after the story
        date(2027, 1, 1),  # a quarter's first day: last quarter's sign-offs still count
        date(2027, 3, 31),  # a quarter's last day
        date(2028, 1, 6),  # a year on: the story's own evidence is long stale
    ],
)
def test_on_any_date_the_services_stand_where_the_story_left_them(
    tmp_path: Path, story: dict[str, ServiceEvaluation], day: date
) -> None:
    assert day.weekday() != 1, "Tuesday is the weekly restore-drill regression"
    as_of = datetime(day.year, day.month, day.day, 5, tzinfo=UTC)
    live = _by_service(_settings(tmp_path, f"{sample_feed.SCHEME}{tmp_path}/evidence"), as_of)
    assert live[FSS].achieved_level == "L2" and live[MNT].achieved_level == "L1"
    # the same standing deviations as on the story's first day, item for item
    for service in (FSS, MNT):
        assert _not_passing(live[service]) == _not_passing(story[service]), service
    assert {"S7", "SO5", "SO7", "DE7", "GA4"} <= set(_not_passing(live[FSS]))
    assert _not_passing(live[FSS])["S8"] == "waived"
    assert {"STO7", "SEC3", "SYN2"} <= set(_not_passing(live[MNT]))
    assert _not_passing(live[MNT])["OBS4"] == "waived"
    # and nothing it reads is from the story's own dates
    rp3 = next(r for r in live[FSS].items if r.item.id == "RP3")
    assert rp3.evidence is not None and rp3.evidence.observed_at is not None
    assert as_of - rp3.evidence.observed_at < timedelta(days=8)


def test_at_any_hour_of_the_day_the_services_stand_where_they_stood_at_dawn(
    tmp_path: Path,
) -> None:
    """Runs tick all day: no item may lapse in the hours before a daily export is written
    (the SLO budget is exported at 01:00 for the day before)."""
    settings = _settings(tmp_path, f"{sample_feed.SCHEME}{tmp_path}/evidence")
    day = datetime(2027, 2, 11, tzinfo=UTC)  # a Thursday: no restore-drill regression
    dawn = _by_service(settings, day + timedelta(hours=5))
    for hour in (0.5, 23.5):  # just before the export, either side of midnight
        at = _by_service(settings, day + timedelta(hours=hour))
        for service in (FSS, MNT):
            assert _not_passing(at[service]) == _not_passing(dawn[service]), (service, hour)


def test_every_week_a_skipped_restore_drill_regresses_and_the_next_day_remediates(
    tmp_path: Path,
) -> None:
    settings = _settings(tmp_path, f"{sample_feed.SCHEME}{tmp_path}/evidence")
    monday = _weekday(date(2027, 2, 10), 0)
    notes = []
    for offset in range(3):  # Monday, Tuesday, Wednesday runs at 05:00
        day = monday + timedelta(days=offset)
        as_of = datetime(day.year, day.month, day.day, 5, tzinfo=UTC)
        report = evaluate(settings, services=[FSS], as_of=as_of)
        ev = report.evaluations[0]
        issues = report.issues[FSS]
        notes.append(
            (ev.achieved_level, [r.item.id for r in ev.regressions], issues.opened, issues.closed)
        )
    assert notes[0][:2] == ("L2", [])
    level, regressions, opened, _closed = notes[1]
    assert (level, regressions, len(opened)) == ("L1", ["RP3"], 1)
    assert notes[2][0] == "L2" and notes[2][3] == opened


def test_an_as_of_sees_the_same_evidence_whatever_was_fed_before(tmp_path: Path) -> None:
    as_of = datetime(2027, 5, 12, 5, tzinfo=UTC)
    fresh = _settings(tmp_path / "a", f"{sample_feed.SCHEME}{tmp_path}/a/evidence")
    reused = _settings(tmp_path / "b", f"{sample_feed.SCHEME}{tmp_path}/b/evidence")
    # b's folder was fed 50 days further first, as by a later run or a backfill
    _by_service(reused, as_of + timedelta(days=50))
    one, other = _by_service(fresh, as_of), _by_service(reused, as_of)

    def seen(ev: ServiceEvaluation) -> dict[str, object]:
        """Status and what the collector read (rows, newest timestamp) per item. Not the
        sha256: a collector hashes every document it opened, and b holds later ones; nor a
        repository read's timestamp, which is when the checkout was read."""
        return {
            r.item.id: (
                r.status,
                r.evidence.rows if r.evidence else None,
                None
                if r.evidence is None or r.item.evidence.kind.startswith("repo_")
                else r.evidence.observed_at,
            )
            for r in ev.items
        }

    for service in (FSS, MNT):
        assert seen(one[service]) == seen(other[service]), service


def test_the_feed_runs_only_for_its_own_scheme(tmp_path: Path) -> None:
    catalog = load_catalog([ROOT / "checklists"], [ROOT / "services"])
    spec = catalog.specs[FSS]
    plain = tmp_path / "plain"
    store = service_store(_settings(tmp_path, str(plain)), spec, STORY)
    assert store.list("**/*") == [] and not plain.exists()
    fed = service_store(_settings(tmp_path, f"{sample_feed.SCHEME}{tmp_path}/fed"), spec, STORY)
    assert fed.list("probe_result/**/*")
    # a second call on the same day is one marker check: nothing is written again
    assert (
        sample_feed.feed(ROOT / sample_feed.TEMPLATE / FSS, tmp_path / "fed" / FSS, FSS, STORY) == 0
    )


def test_files_are_written_once_and_never_rewritten(tmp_path: Path) -> None:
    template, target = ROOT / sample_feed.TEMPLATE / MNT, tmp_path / MNT
    first = sample_feed.feed(template, target, MNT, STORY + timedelta(days=30))
    assert first > 0
    probe = sorted((target / "probe_result").rglob("*.jsonl"))[-1]
    probe.write_text("changed by hand\n")
    later = sample_feed.feed(template, target, MNT, STORY + timedelta(days=31))
    assert 0 < later < first  # only the new day's exports
    assert probe.read_text() == "changed by hand\n"


def test_a_spec_waiver_lapses_on_its_own_expiry_whatever_the_feed(tmp_path: Path) -> None:
    """The feed renewed every spec waiver each quarter: OBS4, expired on 2026-01-31, showed
    "waived until 2027-01-14". A spec's waiver is the spec's; only the register's renew.
    (A reference like ``../../../../tmp/x`` once became a path outside var/: the spec
    loader refuses it now, tests/unit/test_loader.py.)"""
    import yaml

    services = tmp_path / "services"
    services.mkdir()
    for path in (ROOT / "services").glob("*.yaml"):
        spec = yaml.safe_load(path.read_text())
        for waiver in spec.get("waivers", []):
            waiver.update(item="SEC3", expires="2026-01-31", reference="RISK-7")
        (services / path.name).write_text(yaml.safe_dump(spec, sort_keys=False))
    settings = _settings(tmp_path, f"{sample_feed.SCHEME}{tmp_path}/var/evidence")
    settings.services = [str(services)]
    live = _by_service(settings, datetime(2026, 12, 3, 5, tzinfo=UTC))
    sec3 = next(r for r in live[MNT].items if r.item.id == "SEC3")
    assert sec3.effective_status.value == "fail" and sec3.waiver is None
    assert not list((tmp_path / "var").rglob("RISK-7.json"))  # nothing renewed it

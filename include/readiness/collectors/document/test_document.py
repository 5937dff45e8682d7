from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from readiness.collectors.document.collector import COLLECTOR
from readiness.testing.collectors import request

STORE = Path(__file__).parent / "testdata" / "store"


def test_reads_json_and_jsonl_records_with_provenance() -> None:
    ev = COLLECTOR.collect(
        request({"document": "drill_report", "where": {"kind": "backup_restore"}}, STORE)
    )
    assert ev.found and not ev.error
    assert sorted(r["outcome"] for r in ev.rows) == ["failed", "passed"]
    assert ev.observed_at == datetime(2026, 11, 10, 11, tzinfo=UTC)
    assert ev.sha256 and len(ev.sha256) == 64 and ev.uri.endswith("drill_report/**/*")


def test_latest_keeps_the_newest_record_only() -> None:
    ev = COLLECTOR.collect(
        request(
            {"document": "drill_report", "latest": True, "where": {"kind": "backup_restore"}}, STORE
        )
    )
    assert [r["outcome"] for r in ev.rows] == ["failed"]
    assert ev.uri.endswith("later.jsonl")


def test_records_after_as_of_are_invisible() -> None:
    ev = COLLECTOR.collect(
        request(
            {"document": "drill_report", "where": {"kind": "game_day"}},
            STORE,
            as_of=datetime(2026, 11, 11, tzinfo=UTC),
        )
    )
    assert not ev.found and "no drill_report record matched" in ev.summary["missing"]


def test_allow_empty_is_an_observation_not_missing() -> None:
    ev = COLLECTOR.collect(
        request(
            {"document": "drill_report", "allow_empty": True, "where": {"kind": "chaos"}}, STORE
        )
    )
    assert ev.found and ev.rows == [] and "outcome" in ev.columns


def test_broken_record_is_an_error_naming_object_and_field_only_where_read() -> None:
    ev = COLLECTOR.collect(
        request({"document": "drill_report", "where": {"kind": "dr_failover"}}, STORE)
    )
    assert ev.error is not None
    assert "broken.json" in ev.error and "field 'finished_at'" in ev.error
    fine = COLLECTOR.collect(
        request({"document": "drill_report", "where": {"kind": "game_day"}}, STORE)
    )
    assert fine.error is None and fine.found


def test_schema_violation_names_the_field(tmp_path: Path) -> None:
    (tmp_path / "incident").mkdir()
    (tmp_path / "incident" / "i.json").write_text(
        '{"id": "INC-1", "severity": "P9", "started_at": "2026-11-01T00:00:00Z", '
        '"attributed_to": "svc", "actions_open": 0}'
    )
    ev = COLLECTOR.collect(request({"document": "incident"}, tmp_path))
    assert ev.error is not None and "field 'severity'" in ev.error and "i.json" in ev.error


def test_the_hash_covers_only_the_records_used_so_later_ones_change_nothing(
    tmp_path: Path,
) -> None:
    """An append-only log read as of a moment hashes the same once later records exist."""
    log = tmp_path / "drill_report" / "drills.jsonl"
    log.parent.mkdir(parents=True)
    first = (
        '{"kind": "backup_restore", "environment": "staging", "outcome": "passed",'
        ' "started_at": "2026-11-02T05:00:00Z", "finished_at": "2026-11-02T06:00:00Z"}\n'
    )
    log.write_text(first)
    params = {"document": "drill_report", "latest": True, "where": {"kind": "backup_restore"}}
    as_of = datetime(2026, 11, 3, tzinfo=UTC)
    before = COLLECTOR.collect(request(params, tmp_path, as_of=as_of))
    assert (
        before.found
        and not before.error
        and before.sources == ((f"{before.uri}#0", before.sha256),)
    )
    log.write_text(first + first.replace("2026-11-02", "2026-11-09").replace("passed", "failed"))
    after = COLLECTOR.collect(request(params, tmp_path, as_of=as_of))
    assert after.rows == before.rows and after.sha256 == before.sha256
    later = COLLECTOR.collect(request(params, tmp_path, as_of=datetime(2026, 11, 10, tzinfo=UTC)))
    assert later.sha256 != after.sha256 and later.rows[0]["outcome"] == "failed"
    # the same as-of again gives the same hash: the object's other records are not in it
    assert COLLECTOR.collect(request(params, tmp_path, as_of=as_of)).sha256 == after.sha256

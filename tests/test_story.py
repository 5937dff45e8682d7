"""The sample story end to end through the `readiness` command line, on embedded defaults."""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest

from readiness.cli.main import main
from readiness.trackers.outbox.tracker import OutboxTracker

T1, T2, T3 = "2026-11-20T06:00:00Z", "2026-11-27T06:00:00Z", "2026-11-28T06:00:00Z"


def rows(tmp: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(tmp / "history.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def evaluate_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    capsys.readouterr()
    assert main(["evaluate", "--json", *args]) == 0
    return json.loads(capsys.readouterr().out)


def by_service(doc: dict) -> dict:
    return {s["service"]: s for s in doc["services"]}


@dataclass
class Story:
    """The story's three days, run once through the command line: what each step saw."""

    tmp: Path
    days: dict[str, dict] = field(default_factory=dict)
    issues_after_day2: list[dict] = field(default_factory=list)
    body_after_day2: str = ""
    rows_before_retry: int = 0
    rows_after_retry: int = 0
    issues_after_retry: int = 0


def _cli(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(list(args))
    return code, out.getvalue()


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Story]:
    tmp = tmp_path_factory.mktemp("story")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("READINESS_HOME", str(Path(__file__).resolve().parents[1]))
        env.setenv("READINESS_EVIDENCE_ROOT", "samples/evidence")
        env.setenv("READINESS_EXEMPTIONS_ROOT", "samples/exemptions")
        env.setenv("READINESS_HISTORY", f"duckdb://{tmp}/history.duckdb")
        env.setenv("READINESS_OUTBOX", str(tmp / "outbox"))
        env.setenv("READINESS_REPORTS", str(tmp / "reports"))
        s = Story(tmp)

        def day(moment: str, run_id: str) -> dict:
            code, out = _cli("evaluate", "--json", "--as-of", moment, "--run-id", run_id)
            assert code == 0, out
            return by_service(json.loads(out))

        s.days["r1"] = day(T1, "r1")
        s.days["r2"] = day(T2, "r2")
        outbox = OutboxTracker(tmp / "outbox")
        s.issues_after_day2 = outbox.issues()
        s.body_after_day2 = Path(s.issues_after_day2[0]["path"]).read_text()
        # retry of the same run: rows replaced, no second issue
        s.rows_before_retry = rows(tmp, "select count(*) from readiness.item_results")[0][0]
        day(T2, "r2")
        s.rows_after_retry = rows(tmp, "select count(*) from readiness.item_results")[0][0]
        s.issues_after_retry = len(outbox.issues())
        s.days["r3"] = day(T3, "r3")
        yield s


def test_story_day_1_levels_and_every_status(story: Story) -> None:
    first = story.days["r1"]
    fss, mnt = first["file-storage-service"], first["maintenance-service"]
    assert (fss["achieved_level"], fss["target_level"], fss["previous_level"]) == ("L2", "L3", None)
    assert mnt["achieved_level"] == "L1"
    statuses = {i["status"] for s in first.values() for i in s["items"]}
    assert {"pass", "fail", "stale", "missing", "waived", "error", "not_applicable"} <= statuses
    items = {i["item_id"]: i for i in fss["items"]}
    assert items["S8"]["status"] == "waived" and items["SO7"]["status"] == "stale"
    assert items["DE7"]["status"] == "fail" and items["S7"]["status"] == "missing"
    syn2 = {i["item_id"]: i for i in mnt["items"]}["SYN2"]
    assert syn2["status"] == "error" and "field 'finished_at'" in syn2["reason"]


def test_story_day_2_regression_downgrade_and_one_issue(story: Story) -> None:
    fss2 = story.days["r2"]["file-storage-service"]
    assert (fss2["achieved_level"], fss2["previous_level"]) == ("L1", "L2")
    regressed = [i for i in fss2["items"] if i["regressed"]]
    assert [(i["item_id"], i["previous_status"], i["status"]) for i in regressed] == [
        ("RP3", "pass", "stale")
    ]
    [issue] = story.issues_after_day2
    assert issue["title"] == (
        "[readiness] file-storage-service RP3: Backups verified: weekly restore drill into staging"
    )
    assert issue["labels"] == "service:file-storage-service,readiness"
    assert "L2 → L1" in issue["body"] and issue["state"] == "open"
    md = story.body_after_day2
    assert "sha256" in md and "backup-restore-2026-11-16.json" in md


def test_story_retry_of_day_2_replaces_its_rows_and_opens_nothing(story: Story) -> None:
    assert story.rows_after_retry == story.rows_before_retry
    assert story.issues_after_retry == 1


def test_story_day_3_remediation_closes_the_issue(story: Story) -> None:
    tmp = story.tmp
    third = story.days["r3"]
    assert third["file-storage-service"]["achieved_level"] == "L2"
    outbox = OutboxTracker(tmp / "outbox")
    [issue] = outbox.issues()
    assert issue["state"] == "closed"
    assert "Remediated" in outbox.comments(issue["issue_key"])[-1]
    links = rows(
        tmp, "select item_id, state, opened_run_id, closed_reason from readiness.issue_links"
    )
    assert links == [("RP3", "closed", "file-storage-service@r2", "remediated")]
    assert rows(tmp, "select count(*) from readiness.evaluations")[0][0] == 6


def test_story_views_answer_the_compliance_questions(story: Story) -> None:
    tmp = story.tmp
    changes = rows(
        tmp,
        "select service, from_level, to_level, direction from "
        "readiness.level_changes where service = 'file-storage-service' "
        "order by evaluated_at",
    )
    assert changes == [
        ("file-storage-service", None, "L2", "initial"),
        ("file-storage-service", "L2", "L1", "downgrade"),
        ("file-storage-service", "L1", "L2", "upgrade"),
    ]
    below = rows(
        tmp,
        "select seconds_below_target from readiness.time_below_target "
        "where service = 'maintenance-service'",
    )
    assert below == [(8 * 86400,)]
    assert rows(tmp, "select count(*) from readiness.open_regressions")[0][0] == 0


def test_story_gate_status_and_history_read_it_back(
    story: Story, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setenv("READINESS_HISTORY", f"duckdb://{story.tmp}/history.duckdb")
    monkeypatch.setenv("READINESS_OUTBOX", str(story.tmp / "outbox"))
    assert main(["gate", "file-storage-service", "--level", "L2", "--as-of", T3]) == 0
    capsys.readouterr()
    assert main(["gate", "file-storage-service", "--level", "L3", "--as-of", T3]) == 1
    gate = capsys.readouterr().out
    # seed 004 §15: the GA exit criteria and every §14 sign-off, and four weeks at Pilot
    assert "promotion to L3 (GA exit criteria (from Pilot)): 9 of 13 criteria met" in gate
    assert "  GA4 [fail] expected number of records ≥ 2; observed 1" in gate
    assert "✗ held L2 or better for 28d: since 2026-11-28 (0 d)" in gate
    assert "✓ GA1 Pilot tenant live ≥ 4 weeks with no P1 incident" in gate
    assert "✗ SO5 Sign-off: Product owner: missing: no attestation for SO5 by Product owner" in gate
    assert main(["gate", "file-storage-service", "--level", "L2"]) == 2  # too old now
    assert main(["gate", "nope", "--level", "L2"]) == 2
    assert main(["status"]) == 0
    capsys.readouterr()
    assert main(["history", "file-storage-service", "--since", "2026-11-21", "--json"]) == 0
    hist = json.loads(capsys.readouterr().out)
    assert [(t["previous_level"], t["achieved_level"]) for t in hist["timeline"]] == [
        ("L2", "L1"),
        ("L1", "L2"),
    ]
    assert [(t["item_id"], t["status"]) for t in hist["transitions"]] == [
        ("RP3", "stale"),
        ("RP3", "pass"),
    ]


def test_dry_run_records_nothing(readiness_env: Path, capsys) -> None:
    doc = evaluate_json(capsys, "--as-of", T1, "--dry-run", "--service", "maintenance-service")
    assert [s["service"] for s in doc["services"]] == ["maintenance-service"]
    assert rows(readiness_env, "select count(*) from readiness.evaluations")[0][0] == 0
    assert (
        not (readiness_env / "outbox").exists()
        or OutboxTracker(readiness_env / "outbox").issues() == []
    )


def test_unknown_service_is_reported_not_crashed(readiness_env: Path, capsys) -> None:
    assert main(["evaluate", "--service", "ghost", "--dry-run", "--json"]) == 1
    assert "ghost" in capsys.readouterr().out


def test_linear_without_a_key_is_a_clear_error_and_records_nothing(
    readiness_env: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setenv("READINESS_TRACKER", "linear")
    monkeypatch.delenv("LINEAR_API_KEY", raising=False)
    assert main(["evaluate", "--as-of", T1, "--service", "maintenance-service"]) == 1
    err = capsys.readouterr().err.replace("\n", " ")
    assert "no Linear API key" in err and "LINEAR_API_KEY" in err
    assert rows(readiness_env, "select count(*) from readiness.evaluations")[0][0] == 0


def _story_copy(readiness_env: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    import shutil

    store = readiness_env / "evidence"
    shutil.copytree(Path(__file__).resolve().parents[1] / "samples" / "evidence", store)
    monkeypatch.setenv("READINESS_EVIDENCE_ROOT", str(store))
    return store


def _break_probes(store: Path) -> None:
    """A record that breaks its schema in the probe stream: O1 (healthz / readyz) is
    ``error`` from then on."""
    with (store / "file-storage-service" / "probe_result" / "daily.jsonl").open("a") as probes:
        probes.write(
            json.dumps(
                {
                    "url": "https://file-storage.internal.example.com/healthz",
                    "checked_at": "2026-11-20T12:00:00Z",
                    "status_code": "two hundred",
                    "region": "europe-west1",
                }
            )
            + "\n"
        )


def _o1(doc: dict) -> dict:
    return next(i for i in by_service(doc)["file-storage-service"]["items"] if i["item_id"] == "O1")


SERVICE = ("--service", "file-storage-service")


def test_status_shows_an_error_inside_its_grace(
    readiness_env: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A broken probe record: ``evaluate`` counts O1 as its last status for two runs, and
    ``status`` shows it meanwhile instead of hiding the broken source."""
    store = _story_copy(readiness_env, monkeypatch)
    evaluate_json(capsys, "--as-of", T1, *SERVICE)
    _break_probes(store)
    doc = evaluate_json(capsys, "--as-of", "2026-11-21T05:00:00Z", *SERVICE)
    assert (_o1(doc)["status"], _o1(doc)["effective_status"]) == ("error", "pass")
    capsys.readouterr()
    assert main(["status", "file-storage-service"]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if "O1" in x)
    assert "error (in grace)" in line


def test_a_regression_after_the_grace_names_the_status_it_was_decided_on(
    readiness_env: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pass, then error for two runs inside the grace, then error past it: the issue says
    the item went pass → error (what counted), not error → error (the raw statuses)."""
    store = _story_copy(readiness_env, monkeypatch)
    evaluate_json(capsys, "--as-of", T1, *SERVICE)
    _break_probes(store)
    for moment in ("2026-11-21T05:00:00Z", "2026-11-22T05:00:00Z"):
        evaluate_json(capsys, "--as-of", moment, *SERVICE)
    doc = evaluate_json(capsys, "--as-of", "2026-11-23T05:00:00Z", *SERVICE)
    assert (_o1(doc)["status"], _o1(doc)["effective_status"], _o1(doc)["regressed"]) == (
        "error",
        "error",
        True,
    )
    [issue] = [i for i in OutboxTracker(readiness_env / "outbox").issues() if i["item_id"] == "O1"]
    assert "went `pass` → `error`" in issue["body"]


def test_the_issue_body_quotes_the_run_id_verbatim(readiness_env: Path, capsys) -> None:
    """The run id in a code span is the id history has: copying it finds the run."""
    for moment in (T1, T2):
        evaluate_json(capsys, "--as-of", moment, "--service", "file-storage-service")
    [issue] = OutboxTracker(readiness_env / "outbox").issues()
    run_id = "file-storage-service@manual__2026-11-27T06:00:00+00:00"
    assert f"`{run_id}`" in issue["body"]
    assert rows(
        readiness_env, f"SELECT count(*) FROM readiness.evaluations WHERE run_id = '{run_id}'"
    ) == [(1,)]


def test_a_backfill_dates_its_issues_on_the_evaluations_not_the_wall_clock(
    readiness_env: Path, capsys
) -> None:
    """The story's week, replayed with --as-of: the outbox says OUT-1 opened on 11-27 and
    closed on 11-28; only ``recorded_at`` is the wall clock, and says so."""
    for moment in (T1, T2, T3):
        evaluate_json(capsys, "--as-of", moment, "--service", "file-storage-service")
    outbox = OutboxTracker(readiness_env / "outbox")
    [issue] = outbox.issues()
    assert issue["created_at"] == "2026-11-27T06:00:00+00:00"
    assert issue["closed_at"] == "2026-11-28T06:00:00+00:00"
    assert issue["recorded_at"] > "2026-11-28T06:00:00+00:00"  # the write itself, later
    page = Path(issue["path"]).read_text()
    assert "- opened: 2026-11-27T06:00:00+00:00" in page
    assert "- closed: 2026-11-28T06:00:00+00:00" in page
    capsys.readouterr()
    assert main(["oscal", "file-storage-service"]) == 0
    document = json.loads(capsys.readouterr().out)
    observations = document["assessment-results"]["results"][0]["observations"]
    assert {o["collected"] for o in observations} == {"2026-11-28T06:00:00+00:00"}


def test_a_waiver_counts_from_its_start_and_never_hides_a_pass(
    readiness_env: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    """OBS4's waiver starting 2026-11-25 does not reach back to 11-20 in a backfill; a waiver
    on an item whose evidence passes (O1) leaves it ``pass``."""
    import yaml

    root = Path(__file__).resolve().parents[1]
    services = readiness_env / "services"
    services.mkdir()
    for path in (root / "services").glob("*.yaml"):
        (services / path.name).write_text(path.read_text())
    spec_file = services / "maintenance-service.yaml"
    spec = yaml.safe_load(spec_file.read_text())
    spec["waivers"][0]["starts"] = "2026-11-25"
    spec["waivers"].append(
        {
            "item": "OBS1",
            "reason": "granted while the exporter was being moved",
            "approver": "sre-lead@example.com",
            "expires": "2026-12-31",
        }
    )
    spec_file.write_text(yaml.safe_dump(spec, sort_keys=False))
    monkeypatch.setenv("READINESS_SERVICES", str(services))

    def statuses(moment: str) -> dict[str, str]:
        doc = evaluate_json(
            capsys, "--dry-run", "--as-of", moment, "--service", "maintenance-service"
        )
        items = by_service(doc)["maintenance-service"]["items"]
        return {i["item_id"]: i["status"] for i in items if i["item_id"] in ("OBS4", "OBS1")}

    assert statuses(T1) == {"OBS4": "fail", "OBS1": "pass"}
    assert statuses(T2) == {"OBS4": "waived", "OBS1": "pass"}

"""Exemptions granted in Airflow, through real Airflow: api-server, scheduler and
dag-processor on PostgreSQL, every answer given over the REST API by a user who signed in.

The spec is the issue's: maintenance-service asks for 20 waivers until 2999-12-31 and for
CUT2 not to apply, all of which, before, raised it from L1 to L3 on its own say-so. Here the
requests change nothing until ``readiness__exemptions`` puts them to the checklist's
approvers (sre-lead and security-lead) and they grant them on the Required Actions API:
- the requester of CUT2 (sre-lead) is not assigned its approval: Airflow refuses with 403;
- a grant of 200 days, past the checklist's 120, is refused and the request asked again;
- a refusal is recorded and changes nothing;
- a grant that ends today lapses tomorrow, and the level falls back (tomorrow's run is a
  ``dag.test()``: Airflow runs no task whose logical date is still to come);
- every answer is in ``exemption_events``, with who answered as Airflow's auth named them.

Evidence comes from the living feed, so the run's day is the test's own clock (faketime
too)."""

from __future__ import annotations

import urllib.error
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from readiness.history import open_history
from readiness.testing.postgres import throwaway_postgres
from readiness_airflow.cluster import Cluster, local_cluster

ROOT = Path(__file__).resolve().parents[2]
MNT = "maintenance-service"
DAG = f"readiness__{MNT}"
EXEMPTIONS = "readiness__exemptions"
SRE, SEC, OPS = "sre-lead@example.com", "security-lead@example.com", "ops-lead@example.com"
#: The 20 items the living default fails at L2 and L3, waived by the team itself (the issue).
WAIVED = [
    "STO7", "SEC3", "SEC10", "SEC-SO", "SYN2", "SYN-SO", "AI-SO", "OPS2", "OPS5", "OPS-SO",
    "CMP6", "CMP-SO", "CAP2", "CAP5", "CAP-SO", "COM1", "COM3", "COM4", "COM-SO", "CUT1",
]  # fmt: skip
REFUSED = "OBS1"  # a waiver the approver says no to
TOO_LONG = "SEC10"  # first granted for 200 days: refused, asked again
LAPSES = "COM4"  # granted until today


def _spec(folder: Path) -> None:
    spec = yaml.safe_load((ROOT / "services" / f"{MNT}.yaml").read_text())
    spec["waivers"] = [
        {"item": i, "reason": "we say so", "approver": "me", "expires": "2999-12-31",
         "requested_by": OPS}
        for i in [*WAIVED, REFUSED]
    ]  # fmt: skip
    spec["overrides"]["CUT2"] = {
        "not_applicable": "we say so",
        "reason": "we say so",
        "expires": "2999-12-31",
        "requested_by": SRE,  # an approver asking: they may not answer it
    }
    folder.mkdir()
    (folder / f"{MNT}.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    home = tmp_path_factory.mktemp("airflow-exemptions")
    _spec(home / "services")
    env = {
        "READINESS_SERVICES": str(home / "services"),
        "READINESS_EVIDENCE_ROOT": f"samplefeed://{home}/evidence",
        "READINESS_EXEMPTIONS_ROOT": f"samplegrants://{home}/exemptions",
    }
    users = {SRE: "user", SEC: "user", OPS: "user"}
    with (
        throwaway_postgres() as pg,
        local_cluster(pg, home, ROOT, extra_env=env, users=users) as running,
    ):
        yield running


def _stamp(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def _run(cluster: Cluster, dag_id: str, run_id: str, at: datetime) -> dict[str, Any]:
    cluster.trigger(dag_id, run_id, _stamp(at))
    run = cluster.finished_run(dag_id, run_id, 420)
    assert run["state"] == "success", cluster.tail()
    return run


def _latest(cluster: Cluster, at: datetime) -> dict[str, Any]:
    history = open_history(cluster.history_url, str(ROOT))
    snapshot = history.snapshot(MNT, at)
    assert snapshot is not None
    items = history.select(
        "SELECT item_id, status, effective_status, reason, exemption_state "
        "FROM {dataset}.item_results WHERE run_id = @run_id",
        run_id=snapshot.run_id,
    )
    return {"level": snapshot.achieved_level, "items": {r["item_id"]: r for r in items}}


def _events(cluster: Cluster) -> list[dict[str, Any]]:
    return open_history(cluster.history_url, str(ROOT)).exemption_events(MNT)


def _approvals(cluster: Cluster, count: int) -> dict[str, dict[str, Any]]:
    """Open approvals by subject, once ``count`` of them wait for input. Whichever run of the
    exemptions DAG opened them (the hourly tick may beat a triggered run to it)."""

    def waiting() -> dict[str, dict[str, Any]] | None:
        tis = cluster.call("GET", f"/api/v2/dags/{EXEMPTIONS}/dagRuns/~/taskInstances?limit=500")[
            "task_instances"
        ]
        starting = [t for t in tis if t["state"] in (None, "scheduled", "queued", "running")]
        found = cluster.call("GET", f"/api/v2/dags/{EXEMPTIONS}/dagRuns/~/hitlDetails?limit=200")
        details = found.get("hitl_details", [])
        ready = [d for d in details if d["task_instance"]["state"] == "awaiting_input"]
        if starting or len(ready) < count:  # every approval opened, none still starting
            return None
        return {d["subject"]: d for d in ready}

    by_subject: dict[str, dict[str, Any]] = cluster.wait(f"{count} approvals", waiting, 300)
    return by_subject


def _settled(cluster: Cluster) -> None:
    """Every run of the exemptions DAG has finished, every answer recorded."""

    def done() -> bool:
        runs = cluster.call("GET", f"/api/v2/dags/{EXEMPTIONS}/dagRuns?limit=100")["dag_runs"]
        assert all(r["state"] != "failed" for r in runs), cluster.tail()
        return all(r["state"] == "success" for r in runs)

    cluster.wait("the approvals to be answered", done, 420)


def _respond(
    cluster: Cluster,
    user: str,
    detail: dict[str, Any],
    option: str,
    until: str = "",
    note: str = "",
) -> None:
    ti = detail["task_instance"]
    cluster.call(
        "PATCH",
        f"/api/v2/dags/{EXEMPTIONS}/dagRuns/{ti['dag_run_id']}/taskInstances/"
        f"{ti['task_id']}/{ti['map_index']}/hitlDetails",
        {"chosen_options": [option], "params_input": {"until": until, "comment": note}},
        token=cluster.token_for(user),
    )


def _item(subjects: dict[str, dict[str, Any]], item: str) -> dict[str, Any]:
    return next(d for s, d in subjects.items() if f"— {item}: " in s)


@pytest.mark.slow
def test_requests_change_nothing_until_a_second_airflow_user_grants_them(
    cluster: Cluster, metadata_db: Path
) -> None:
    cluster.wait("the DAGs to be parsed", lambda: cluster.dag_parsed(EXEMPTIONS), 180)
    cluster.wait("the service DAG", lambda: cluster.dag_parsed(DAG), 60)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    today = now.date()

    # 1. the team's own spec: 22 requests, no effect
    _run(cluster, DAG, "before", now)
    before = _latest(cluster, now + timedelta(seconds=1))
    assert before["level"] == "L1"
    sec3 = before["items"]["SEC3"]
    assert sec3["effective_status"] == "fail" and sec3["exemption_state"] == "requested"
    assert f"requested by {OPS}, not granted" in sec3["reason"]
    requested = [e for e in _events(cluster) if e["event"] == "requested"]
    asked = [e for e in requested if e["actor"] in (OPS, SRE)]  # the rest: the risk register's
    assert len(asked) == 22 and {e["actor"] for e in requested} == {OPS, SRE, "risk-register"}
    ours = {e["request_id"] for e in asked}

    # 2. one approval per request, assigned to the approvers less the requester
    cluster.trigger(EXEMPTIONS, "approvals-1", _stamp(now))
    subjects = _approvals(cluster, 22)
    assert len(subjects) == 22  # asked once each, whichever run asked
    cut2 = _item(subjects, "CUT2")
    assert [u["id"] for u in cut2["assigned_users"]] == [SEC]
    with pytest.raises(urllib.error.HTTPError) as self_grant:
        _respond(cluster, SRE, cut2, "Grant", note="my own")
    assert self_grant.value.code == 403  # Airflow: sre-lead is not a respondent
    _respond(cluster, SEC, cut2, "Grant", (today + timedelta(days=30)).isoformat(), "cutover")
    _respond(cluster, SEC, _item(subjects, REFUSED), "Refuse", note="OBS1 passes; no waiver")
    _respond(
        cluster, SRE, _item(subjects, TOO_LONG), "Grant", (today + timedelta(days=200)).isoformat()
    )
    _respond(cluster, SRE, _item(subjects, LAPSES), "Grant", today.isoformat(), "until today")
    for item in WAIVED:
        if item not in (TOO_LONG, LAPSES):
            _respond(cluster, SRE, _item(subjects, item), "Grant", "", "asked for too long")
    _settled(cluster)
    events = {(e["request_id"], e["event"]): e for e in _events(cluster) if e["request_id"] in ours}
    kinds = sorted(e["event"] for e in events.values() if e["event"] != "requested")
    # an empty until grants the day asked for (2999-12-31): longer than 120 days, refused
    assert kinds.count("granted") == 2 and kinds.count("refused") == 1
    assert kinds.count("grant_refused") == 19 and kinds.count("asked") == 22
    refused = next(e for e in events.values() if e["event"] == "refused")
    assert (refused["actor"], refused["comment"]) == (SEC, "OBS1 passes; no waiver")
    too_long = [e for e in events.values() if e["event"] == "grant_refused"]
    assert all("longer than the 120 days the checklist allows" in e["comment"] for e in too_long)

    # 3. asked again; granted within the limit
    cluster.trigger(
        EXEMPTIONS,
        "approvals-2",
        _stamp(datetime.now(UTC) + timedelta(seconds=1)),  # as of after every answer
    )
    again = _approvals(cluster, 19)  # each whose grant was refused
    assert len(again) == 19 and not any(f"— {REFUSED}: " in s for s in again)
    for detail in again.values():
        _respond(cluster, SRE, detail, "Grant", (today + timedelta(days=90)).isoformat(), "ok")
    _settled(cluster)

    # 4. the next run applies the grants: L3; OBS1 refused, SEC3 waived by sre-lead
    # the next whole second: a run's as-of is stamped in seconds, and must follow every answer
    later = (datetime.now(UTC) + timedelta(seconds=1)).replace(microsecond=0)
    _run(cluster, DAG, "after", later)
    after = _latest(cluster, later + timedelta(seconds=1))
    assert after["level"] == "L3", {
        k: v
        for k, v in after["items"].items()
        if v["effective_status"] not in ("pass", "waived", "not_applicable")
    }
    assert after["items"]["SEC3"]["effective_status"] == "waived"
    assert after["items"]["CUT2"]["effective_status"] == "not_applicable"
    assert after["items"][REFUSED]["exemption_state"] == "refused"

    # 5. tomorrow COM4's grant has lapsed: L2, and the lapse is on record. Airflow runs no
    # task whose logical date is still to come, so tomorrow's run is a dag.test() of the
    # same DAG, on the same history, as the scheduler will run it tomorrow
    from readiness.spec.config import load_settings
    from readiness_airflow.factory import build_dags
    from readiness_airflow.local import run_dag

    tomorrow = later + timedelta(days=1)
    with pytest.MonkeyPatch.context() as env:
        for key, value in cluster.env.items():
            if key.startswith("READINESS_"):
                env.setenv(key, value)
        dag = build_dags(load_settings())[DAG]
        assert run_dag(dag, tomorrow).task_states["record"] == "success"
    lapsed = _latest(cluster, tomorrow + timedelta(seconds=1))
    assert lapsed["level"] == "L2" and lapsed["items"][LAPSES]["exemption_state"] == "lapsed"
    (lapse,) = [e for e in _events(cluster) if e["event"] == "lapsed" and e["request_id"] in ours]
    assert lapse["item_id"] == LAPSES and lapse["actor"] == "readiness"

"""The production path: real ``airflow api-server``, ``scheduler`` and ``dag-processor``
processes on PostgreSQL with the LocalExecutor, driven only through the REST API.

``dag.test()`` runs tasks in the test's own process, where they could touch the metadata DB;
here every task runs in a worker process that may only talk to the Task Execution API, as
in production. The metadata DB is a throwaway PostgreSQL cluster started by the test
(``readiness.testing.postgres``), so every component runs on one clock, the test's: the
suite passes under ``faketime`` too. The run evaluates the story's fixed first day; the
scheduler's own cron tick (the DAGs start unpaused on embedded defaults) is another run,
and every assertion finds this test's run by its id."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from readiness.history import open_history
from readiness.testing.postgres import Postgres, throwaway_postgres
from readiness.testing.receivers import Webhook, webhook_receiver
from readiness_airflow.cluster import Cluster, local_cluster

ROOT = Path(__file__).resolve().parents[2]
DAG_ID = "readiness__file-storage-service"
FSS = "file-storage-service"
MAINTENANCE = "maintenance-service"


@pytest.fixture(scope="module")
def postgres() -> Iterator[Postgres]:
    with throwaway_postgres() as pg:
        yield pg


@pytest.fixture(scope="module")
def slack() -> Iterator[Webhook]:
    with webhook_receiver() as hook:
        yield hook


@pytest.fixture(scope="module")
def cluster(
    tmp_path_factory: pytest.TempPathFactory, postgres: Postgres, slack: Webhook
) -> Iterator[Cluster]:
    home = tmp_path_factory.mktemp("airflow-prod")
    # maintenance-service's team hears of its runs on Slack (the local receiver)
    services = home / "services"
    shutil.copytree(ROOT / "services", services)
    with (services / f"{MAINTENANCE}.yaml").open("a") as spec:
        spec.write("\nnotify:\n  slack: readiness_slack_maintenance\n")
    env = {
        "READINESS_SERVICES": str(services),
        "AIRFLOW_CONN_READINESS_SLACK_MAINTENANCE": json.dumps(
            {"conn_type": "slackwebhook", "password": slack.url}
        ),
    }
    with local_cluster(postgres, home, ROOT, extra_env=env, triggerer=True) as running:
        yield running


@pytest.mark.slow
def test_a_triggered_run_succeeds_through_scheduler_workers_and_rest_api(
    cluster: Cluster,
) -> None:
    cluster.wait("the dag-processor to parse the DAGs", lambda: cluster.dag_parsed(DAG_ID), 180)
    errors = cluster.call("GET", "/api/v2/importErrors")
    assert errors["total_entries"] == 0, errors
    dags = cluster.call("GET", "/api/v2/dags?tags=readiness")
    assert {d["dag_id"] for d in dags["dags"]} >= {
        DAG_ID,
        "readiness__maintenance-service",
        "readiness__quarterly_revalidation",
    }

    cluster.call("PATCH", f"/api/v2/dags/{DAG_ID}", {"is_paused": False})
    run_id = "prod-path-2026-11-20"
    cluster.trigger(DAG_ID, run_id, "2026-11-20T06:00:00Z")
    run = cluster.finished_run(DAG_ID, run_id, 420)
    states = {
        (ti["task_id"], ti["map_index"]): (ti["state"], ti.get("rendered_map_index"))
        for ti in cluster.task_instances(DAG_ID, run_id)
    }
    assert run["state"] == "success", f"{states}\n{cluster.tail()}"
    assert {state for state, _ in states.values()} == {"success"}
    collects = {k: v for k, v in states.items() if k[0] == "collect"}
    assert len(collects) == 2  # one per evidence source: the repository, the evidence store
    # the grid names each mapped collection task by its source and what it found
    labels = sorted(label for _, label in collects.values())
    assert [label.split(":")[0] for label in labels] == ["repo", "store"], labels
    collected = sum(int(label.split(": ")[1].split()[0]) for label in labels)
    assert collected == 99, labels  # every applicable item of the checklist, once
    assert {k[0] for k in states} == {"collect", "score", "record", "sync_issues"}

    # the scheduler's listener wrote the outcome into the run note, with the verdict (the
    # scheduler may have run the latest cron tick first: its place in the chain varies)
    assert re.fullmatch(
        r"file-storage-service: L2 \(target L3, previous none\); regressions: none; "
        r"verdict file-storage-service#\d+ sha256:[0-9a-f]{16}…",
        run["note"],
    ), run["note"]

    # the history update is an Asset event carrying the outcome (this run's event: the
    # scheduler's cron tick emits one of its own)
    events = cluster.call("GET", "/api/v2/assets/events?limit=50")["asset_events"]
    ours = [
        e
        for e in events
        if e["uri"] == "readiness://history/file-storage-service" and e["source_run_id"] == run_id
    ]
    assert len(ours) == 1, events
    assert ours[0]["extra"]["achieved_level"] == "L2"

    # and the worker wrote history keyed on the Airflow run. The DAGs start unpaused on
    # embedded defaults, so the scheduler also runs each DAG's latest cron tick: those
    # runs are recorded as "scheduled" (the quarterly DAG's as "quarterly").
    history = open_history(cluster.history_url, str(ROOT))
    rows = history.query(
        "SELECT run_id, trigger, dag_id, dag_run_id FROM readiness.evaluations", {}
    )
    ours = [r for r in rows if r["dag_run_id"] == run_id]
    assert ours == [
        {
            "run_id": f"file-storage-service@{run_id}",
            "trigger": "manual",
            "dag_id": DAG_ID,
            "dag_run_id": run_id,
        }
    ]
    for other in (r for r in rows if r["dag_run_id"] != run_id):
        assert other["dag_run_id"].startswith("scheduled__"), other
        quarterly = other["dag_id"] == "readiness__quarterly_revalidation"
        assert other["trigger"] == ("quarterly" if quarterly else "scheduled"), other


@pytest.mark.slow
def test_a_run_not_done_by_its_deadline_is_an_airflow_deadline_alert_sent_to_the_team(
    cluster: Cluster, slack: Webhook
) -> None:
    """Airflow's Deadline Alert (experimental in 3.x) on the pinned Airflow: the scheduler
    finds the run past its logical date + ``run_deadline_minutes`` (120) and queues the
    callback, the triggerer runs it, and it reaches the team through the Slack notifier
    and the ``notifications`` history the portfolio reads."""
    dag_id = f"readiness__{MAINTENANCE}"
    cluster.wait("the dag-processor to parse the DAGs", lambda: cluster.dag_parsed(dag_id), 180)
    run_id = "deadline-2026-11-20"
    # a run for a tick long past: due by 08:00 that day, so late from the moment it exists
    cluster.trigger(dag_id, run_id, "2026-11-20T06:00:00Z")

    def alerted() -> list[str]:
        with slack.lock:
            return [m["text"] for m in slack.received if run_id in m["text"]]

    [text] = cluster.wait("the Deadline Alert on Slack", alerted, 180)
    assert text.splitlines()[0] == (
        f"*{MAINTENANCE}'s readiness run {run_id} is late: not done 120 minutes after its "
        "scheduled time*"
    )
    assert "Deadline passed at 2026-11-20T08:00:00+00:00" in text
    history = open_history(cluster.history_url, str(ROOT))
    # (the scheduler's own catch-up of today's tick may be late too, by the same rule)
    late = [r for r in history.notifications(MAINTENANCE) if r["run_id"] == run_id]
    assert sorted((r["kind"], r["channel"]) for r in late) == [
        ("late", "record"),
        ("late", "slack"),
    ]
    assert slack.url not in json.dumps(late, default=str)


@pytest.mark.slow
def test_a_burst_of_evidence_events_runs_only_its_service_once_through_an_asset_watcher(
    cluster: Cluster,
) -> None:
    """Event-driven scheduling on the real triggerer: an AssetWatcher with the common-
    messaging MessageQueueTrigger on the service's Redis pub/sub channel. Fifty files
    landing at once are one run of that service's DAG, recorded with trigger ``event``;
    the other service's DAG does not run."""
    import redis

    from readiness.evidence.events import channel, publish
    from readiness.spec.config import load_settings

    url = load_settings(project_root=ROOT).evidence_events
    assert url.startswith("redis://")
    client = redis.Redis.from_url(url, socket_timeout=5)

    def subscribed() -> bool:
        counts = dict(client.pubsub_numsub(channel(FSS), channel(MAINTENANCE)))
        return all(counts.get(channel(s).encode(), 0) >= 1 for s in (FSS, MAINTENANCE))

    cluster.wait("both services' watchers to subscribe", subscribed, 180, poll=1)

    def event_runs(dag_id: str) -> list[dict[str, Any]]:
        runs = cluster.call("GET", f"/api/v2/dags/{dag_id}/dagRuns?limit=100")["dag_runs"]
        return [r for r in runs if r["run_type"] == "asset_triggered"]

    assert event_runs(DAG_ID) == []
    for i in range(50):
        assert publish(url, FSS, [f"drill_report/burst-{i:02d}.json"])

    [run] = cluster.wait("the event-driven run", lambda: event_runs(DAG_ID), 120, poll=1)
    done = cluster.finished_run(DAG_ID, run["dag_run_id"], 420)
    assert done["state"] == "success", cluster.tail()
    cluster.pause(5)  # time for a second run, if the burst had queued one
    assert len(event_runs(DAG_ID)) == 1
    assert event_runs(f"readiness__{MAINTENANCE}") == []
    history = open_history(cluster.history_url, str(ROOT))
    rows = history.query(
        "SELECT trigger, dag_run_id FROM readiness.evaluations WHERE service = $service",
        {"service": FSS},
    )
    assert {"trigger": "event", "dag_run_id": run["dag_run_id"]} in rows

"""Faults in real Airflow task processes: a real api-server, scheduler and dag-processor on
PostgreSQL, BigQuery and Cloud Storage emulators and the fake Linear; each fault is
recovered by Airflow's own retry of the task."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from readiness.testing.chaos.project import (
    DAYS,
    FSS,
    MNT,
    ROOT,
    Outcome,
    check,
)

BUCKET = "chaos-evidence"
#: Day 4: RP3 still failing for the same reason, so the run adds nothing to Linear.
#: Day 5: the restore drill passes again, so RP3's issue closes.
AIRFLOW_DAYS = (*DAYS, "2026-11-29T06:00:00Z", "2026-11-30T06:00:00Z")
RP3_DRILL = Path(FSS, "drill_report", "backup-restore-2026-11-27.json")
LINEAR_KEY = "lin_api_chaos"
ENDED = ("failed", "up_for_retry", "success", "upstream_failed")


def dag_id(service: str) -> str:
    return f"readiness__{service}"


class LinearStorm:
    """Linear answering 429 and 503 to everything (``stop``) until it recovers (``start``):
    the same two-step protocol as an emulator being stopped and started."""

    def __init__(self, linear: Any) -> None:
        self.linear = linear

    def stop(self) -> None:
        from readiness.trackers.linear.fake_server import Fault

        self.linear.faults.extend(
            Fault(status=429, code="RATELIMITED", headers={"Retry-After": "0"})
            if i % 2
            else Fault(status=503)
            for i in range(400)
        )

    def start(self) -> None:
        self.linear.faults.clear()


@dataclass
class Stack:
    """Real Airflow (api-server, scheduler, dag-processor, LocalExecutor, on PostgreSQL)
    running the service DAGs against BigQuery history in the BigQuery emulator, evidence
    in the Cloud Storage emulator and the fake Linear. Only triggered runs exist (no cron
    ticks), so every armed failpoint lands in this suite's runs."""

    work: Path
    cluster: Any
    armed: Any
    bigquery: Any
    storage: Any
    linear: Any
    history: Any
    evidence: Path
    attempted: set[str] = field(default_factory=set)

    def upload(self, path: Path) -> None:
        from readiness.evidence.gcs import storage_client

        name = f"evidence/{path.relative_to(self.evidence).as_posix()}"
        storage_client("readiness-test").bucket(BUCKET).blob(name).upload_from_filename(str(path))

    def set_rp3_drill(self, outcome: str) -> None:
        """The restore drill RP3 reads, in the bucket and in the local copy the reference
        evaluation reads: ``failed`` keeps RP3 failing for a new reason."""
        drill = self.evidence / RP3_DRILL
        original = (ROOT / "samples" / "evidence" / RP3_DRILL).read_text()
        drill.write_text(original.replace('"outcome": "passed"', f'"outcome": "{outcome}"'))
        self.upload(drill)

    def reference(self, service: str, day: str) -> dict[str, str]:
        """Each item's status from an undisturbed evaluation of the same evidence and day
        (the CLI on the local copy, writing nothing): what the recovered run must hold."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("READINESS_")}
        env.update(
            {
                "READINESS_HOME": str(ROOT),
                "READINESS_EVIDENCE_ROOT": str(self.evidence),
                "READINESS_EXEMPTIONS_ROOT": str(ROOT / "samples" / "exemptions"),
                "READINESS_LIVE_SOURCES": "false",
                "READINESS_HISTORY": f"duckdb://{self.work / 'reference.duckdb'}",
            }
        )
        args = [sys.executable, "-m", "readiness.cli", "evaluate", "--json", "--dry-run"]
        done = subprocess.run(
            [*args, "--as-of", day, "--service", service],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        doc = json.loads(done.stdout)
        return {i["item_id"]: i["status"] for s in doc["services"] for i in s["items"]}

    def recorded(self, service: str, run_id: str) -> dict[str, str]:
        rows = self.history.select(
            "SELECT item_id, status FROM {dataset}.item_results WHERE run_id = @run_id",
            run_id=f"{service}@{run_id}",
        )
        return {r["item_id"]: r["status"] for r in rows}

    def trigger(self, service: str, key: str, day: str) -> str:
        run_id = f"chaos-{key}"
        self.attempted.add(f"{service}@{run_id}")
        self.cluster.trigger(dag_id(service), run_id, day)
        return run_id

    def tries(
        self, service: str, run_id: str, task_id: str, map_index: int | None
    ) -> list[dict[str, Any]]:
        path = f"/api/v2/dags/{dag_id(service)}/dagRuns/{run_id}/taskInstances/{task_id}"
        path += f"/{map_index}/tries" if map_index is not None else "/tries"
        tries = self.cluster.call("GET", path)["task_instances"]
        return sorted(tries, key=lambda t: t["try_number"])

    def source_index(self, source: str) -> int:
        """The map index of one evidence source's collect task, as the DAG expands it."""
        from readiness.spec.loader import load_catalog
        from readiness.spec.overrides import sources

        catalog = load_catalog([ROOT / "checklists"], [ROOT / "services"])
        spec = catalog.specs[FSS]
        return sources(catalog.checklist_for(spec), spec, False).index(source)

    def tracker_state(self) -> tuple[list[dict[str, Any]], list[Any]]:
        # one issue per episode: a second issue for the same regression has the same title
        issues = [{"episode_id": i["title"]} for i in self.linear.issues.values()]
        comments = [(c["issueId"], c["body"]) for c in self.linear.comments.values()]
        return issues, comments

    def check(self, outcome: Outcome, runs: list[tuple[str, str, str]]) -> None:
        """The promises, plus: each recovered run (service, run id, day) holds what an
        undisturbed run would."""
        for service, run_id, day in runs:
            expected, got = self.reference(service, day), self.recorded(service, run_id)
            differing = sorted(
                k for k in expected.keys() | got.keys() if expected.get(k) != got.get(k)
            )
            if differing:
                outcome.rows_lost += len(differing)
                outcome.notes.append(
                    f"{service} differs from an undisturbed run: {', '.join(differing[:8])}"
                )
        check(self.history, self.attempted, outcome, *self.tracker_state())
        if self.linear.rejected:
            outcome.notes.append(f"{len(self.linear.rejected)} operation(s) rejected by Linear")
            outcome.rows_lost += 1


@contextmanager
def airflow_stack(work: Path) -> Iterator[Stack]:
    from readiness.history.bigquery_store import BigQueryHistory
    from readiness.support.failpoints import Armed
    from readiness.testing.emulators import PROJECT, BigQueryEmulator, StorageEmulator
    from readiness.testing.postgres import throwaway_postgres
    from readiness.trackers.linear.fake_server import FakeLinear
    from readiness_airflow.cluster import local_cluster

    evidence = work / "evidence"
    shutil.copytree(ROOT / "samples" / "evidence", evidence)
    with ExitStack() as stack:
        bigquery = BigQueryEmulator(persistent=True)
        stack.callback(bigquery.close)
        bigquery.start()
        storage = StorageEmulator(on_disk=True)
        stack.callback(storage.close)
        storage.start()
        os.environ["STORAGE_EMULATOR_HOST"] = storage.url  # this process's uploads
        from readiness.evidence.gcs import storage_client

        storage_client("readiness-test").create_bucket(BUCKET)
        linear = FakeLinear(api_key=LINEAR_KEY)
        stack.callback(linear.stop)
        armed = Armed(work / "failpoints")
        dataset = "chaos"
        env = {
            "READINESS_HISTORY": f"bigquery://{PROJECT}/{dataset}",
            "READINESS_VERDICT_KEY": str(work / "verdict-key.pem"),
            "READINESS_VERDICT_KEYRING": str(work / "verdict-keyring.json"),
            "READINESS_EVIDENCE_ARCHIVE": str(work / "evidence-archive"),
            "READINESS_BIGQUERY_ENDPOINT": bigquery.endpoint,
            "READINESS_HISTORY_TIMEOUT_S": "5",
            "READINESS_EVIDENCE_ROOT": f"gs://{BUCKET}/evidence",
            "READINESS_LIVE_SOURCES": "false",
            "STORAGE_EMULATOR_HOST": storage.url,
            "READINESS_SOURCE_DEADLINE_S": "3",
            "READINESS_TASK_RETRY_DELAY_S": "1",
            "READINESS_TRACKER": "linear",
            "LINEAR_API_KEY": LINEAR_KEY,
            "LINEAR_ENDPOINT": linear.start(),
            **armed.env,
            # only the suite's own triggered runs: no cron tick may reach a failpoint
            "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
        }
        pg = stack.enter_context(throwaway_postgres())
        cluster = stack.enter_context(local_cluster(pg, work / "airflow", ROOT, extra_env=env))
        history = BigQueryHistory(PROJECT, dataset, endpoint=bigquery.endpoint, timeout_s=30)
        stack.callback(history.close)
        ready = Stack(work, cluster, armed, bigquery, storage, linear, history, evidence)
        for path in sorted(evidence.rglob("*")):
            if path.is_file():
                ready.upload(path)
        for service in (FSS, MNT):
            parsed = partial(cluster.dag_parsed, dag_id(service))
            cluster.wait(f"the dag-processor to parse {dag_id(service)}", parsed, 300)
        yield ready


def _fault_in_a_task(
    stack: Stack,
    scenario: str,
    key: str,
    day: str,
    task: tuple[str, int | None],
    point: str | None = None,
    outage: Any = None,
) -> Outcome:
    """One fault landing in the task process of one file-storage-service run, which
    Airflow's own retry of that task must then recover.

    - ``point`` alone: the first process to reach it is killed (SIGKILL).
    - ``point`` and ``outage``: the process is held there while ``outage.stop()`` (an
      emulator stopped, say), then let go into the outage.
    - ``outage`` alone: the outage starts before the run.

    ``outage.start()`` ends it once the task's attempt in it has failed."""
    out = Outcome(scenario, faults=1)
    task_id, map_index = task
    cluster = stack.cluster
    if point:
        stack.armed.arm(point, "pause" if outage else "kill")
    elif outage is not None:
        outage.stop()
    run_id = stack.trigger(FSS, key, day)
    if point and outage is not None:
        cluster.wait(f"a task to reach {point}", lambda: stack.armed.fired(point), 300, 0.5)
        outage.stop()
        cluster.wait(
            "the held task to take the release", lambda: stack.armed.release(point), 60, 0.2
        )
    if outage is not None:

        def first_try_over() -> bool:
            tries = stack.tries(FSS, run_id, task_id, map_index)
            return any(t["try_number"] > 1 or t["state"] in ENDED for t in tries)

        cluster.wait(f"{task_id}'s attempt in the fault to end", first_try_over, 300, 0.5)
        outage.start()
    run = cluster.finished_run(dag_id(FSS), run_id, 600)
    tries = stack.tries(FSS, run_id, task_id, map_index)
    states = [t["state"] for t in tries]
    retried = len(tries) >= 2 and states[0] != "success" and states[-1] == "success"
    fired = stack.armed.fired(point) if point else True
    out.recovered += run["state"] == "success" and fired and retried
    label = task_id if map_index is None else f"{task_id}[{map_index}]"
    out.notes.append(f"{label} tries: {' → '.join(str(s) for s in states)}")
    if point:
        stack.armed.disarm(point)
    stack.check(out, [(FSS, run_id, day)])
    return out


def _two_services_at_once(stack: Stack, day: str) -> Outcome:
    """Both services' runs at the same moment: their tasks run side by side on the two
    executor slots, and both write BigQuery history and sync with Linear."""
    out = Outcome("Airflow: two services' runs at once", faults=1)
    runs = [(s, stack.trigger(s, f"both-{s}", day), day) for s in (MNT, FSS)]
    finished = [stack.cluster.finished_run(dag_id(s), r, 600) for s, r, _ in runs]
    out.recovered += all(run["state"] == "success" for run in finished)
    stack.check(out, runs)
    return out


def in_airflow(work: Path, quick: bool = False) -> list[Outcome]:
    """The faults in real Airflow task processes, one story day each, recovered by
    Airflow's retry of the task: kill -9 inside the BigQuery write and between Linear
    opening the issue and the link being saved; the BigQuery emulator stopped between the
    two MERGEs; the Cloud Storage emulator stopped as the store is about to be read; a
    Linear storm while the issue closes; then two services' runs at once. ``quick`` (CI's
    subset) stops after the first."""
    days = AIRFLOW_DAYS
    with airflow_stack(work) as stack:
        kill_record = _fault_in_a_task(
            stack,
            "Airflow: kill -9 of the record task",
            "d1",
            days[0],
            ("record", None),
            point="record",
        )
        if quick:
            return [kill_record]
        kill_sync = _fault_in_a_task(
            stack,
            "Airflow: kill -9 of sync_issues between Linear and the link",
            "d2",
            days[1],
            ("sync_issues", None),
            point="sync-after-open",
        )
        stack.set_rp3_drill("failed")  # so day 3 comments on the issue
        bigquery_down = _fault_in_a_task(
            stack,
            "Airflow: BigQuery emulator stopped mid-record, restarted",
            "d3",
            days[2],
            ("record", None),
            point="record",
            outage=stack.bigquery,
        )
        comments = len(stack.linear.comments)
        if comments != 1:  # day 3's new failure reason is one comment on the open issue
            bigquery_down.notes.append(f"{comments} comments after day 3, expected 1")
            bigquery_down.rows_lost += comments == 0
        storage_down = _fault_in_a_task(
            stack,
            "Airflow: Cloud Storage emulator stopped mid-collect, restarted",
            "d4",
            days[3],
            ("collect", stack.source_index("store")),
            point="collect.store",
            outage=stack.storage,
        )
        outage_issues = [i for i in stack.linear.issues.values() if "evidence source" in i["title"]]
        if outage_issues:  # an issue too many: the retry read the store, no outage to report
            storage_down.notes.append(f"{len(outage_issues)} outage issue(s) filed")
            storage_down.duplicate_issues += len(outage_issues)
        stack.set_rp3_drill("passed")  # day 5: RP3 remediated, its issue closes
        storm = _fault_in_a_task(
            stack,
            "Airflow: Linear 429 and 5xx storm while the issue closes",
            "d5",
            days[4],
            ("sync_issues", None),
            outage=LinearStorm(stack.linear),
        )
        # RP3's one issue is closed, with day 3's comment and the closing one; the other
        # issues are day 5's own regressions (evidence gone stale), each opened once
        rp3 = [i for i in stack.linear.issues.values() if f"{FSS} RP3:" in i["title"]]
        states = [stack.linear.state_of(i["identifier"]) for i in rp3]
        said = [len(stack.linear.comments_on(i["identifier"])) for i in rp3]
        storm.notes.append(f"RP3's issue {states}, {said} comments")
        if states != ["completed"] or said != [2]:
            storm.notes.append("expected one completed issue with 2 comments")
            storm.duplicate_issues += max(0, len(rp3) - 1)
            storm.rows_lost += not rp3 or said[0] < 2
            storm.duplicate_comments += bool(rp3) and said[0] > 2
        # half an hour after day 1's run (a DAG takes one run per logical date)
        both = _two_services_at_once(stack, "2026-11-20T06:30:00Z")
        return [kill_record, kill_sync, bigquery_down, storage_down, storm, both]


def in_airflow_quick(work: Path) -> list[Outcome]:
    """``in_airflow``'s first fault, kill -9 of the record task: what CI has time for."""
    return in_airflow(work, quick=True)

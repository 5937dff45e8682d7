"""The chaos suite: faults injected into real runs, then recovery, then the promises checked
from history and from the tracker's own state.

Two kinds of scenario, on a copy of the story's evidence:

- In the CLI: ``readiness evaluate`` as a separate process (``engine.ServicePlan``'s stages,
  what a task runs) against real DuckDB history, the real outbox or the fake Linear built on
  Linear's schema, and the real Cloud Storage client. Faults: SIGKILL at a failpoint
  (``readiness.support.failpoints``), a Linear 429 and 5xx storm, a storage endpoint that refuses
  connections and then answers, a half-written evidence file, two services recording at
  once. Recovery: the retry of the same run (same ``--run-id``), or the next run.
- In Airflow (``in_airflow``): a real api-server, scheduler and dag-processor with the
  LocalExecutor on PostgreSQL run the service DAG against BigQuery history in the BigQuery
  emulator, evidence in the Cloud Storage emulator and the fake Linear. The faults land in
  the task processes: SIGKILL inside the BigQuery write and between Linear opening the issue
  and the link being saved, and each emulator stopped while a task is held between two of
  its calls, then started again. Recovery: Airflow's own retry of the task.

After recovery it checks: every run's rows exist exactly once, every episode has exactly one
issue, no comment was posted twice, no result was lost (in Airflow: each item's status is
what an undisturbed evaluation of the same evidence gives). Prints
``faults injected N, recovered N, rows lost 0, duplicate issues 0, duplicate comments 0``.

    python scripts/chaos.py [--quick] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FSS, MNT = "file-storage-service", "maintenance-service"
#: Story days: RP3 passes on the first and regresses on the second (an issue opens); on
#: the third it is still failing for another reason (a comment).
DAYS = ("2026-11-20T06:00:00Z", "2026-11-27T06:00:00Z", "2026-11-28T06:00:00Z")


@dataclass
class Outcome:
    scenario: str
    faults: int = 0
    recovered: int = 0
    rows_lost: int = 0
    duplicate_rows: int = 0
    duplicate_issues: int = 0
    duplicate_comments: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.recovered == self.faults and not (
            self.rows_lost
            or self.duplicate_rows
            or self.duplicate_issues
            or self.duplicate_comments
        )


class Project:
    """A throwaway copy of what a run touches: evidence, history, outbox."""

    def __init__(self, work: Path, tracker: str = "outbox") -> None:
        self.work = work
        self.evidence = work / "evidence"
        shutil.copytree(ROOT / "samples" / "evidence", self.evidence)
        self.history = work / "history.duckdb"
        self.outbox = work / "outbox"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("READINESS_")}
        self.env.update(
            {
                "READINESS_HOME": str(ROOT),
                "READINESS_EVIDENCE_ROOT": str(self.evidence),
                "READINESS_HISTORY": f"duckdb://{self.history}",
                "READINESS_OUTBOX": str(self.outbox),
                "READINESS_TRACKER": tracker,
                "READINESS_SOURCE_DEADLINE_S": "3",
            }
        )
        self.attempted: set[str] = set()

    def evaluate(
        self,
        run_key: str,
        as_of: str,
        env: dict[str, str] | None = None,
        services: tuple[str, ...] = (FSS,),
    ) -> subprocess.CompletedProcess[str]:
        self.attempted.update(f"{s}@{run_key}" for s in services)
        args = [sys.executable, "-m", "readiness.cli.main", "evaluate", "--as-of", as_of]
        args += ["--run-id", run_key]
        for service in services:
            args += ["--service", service]
        return subprocess.run(
            args, env={**self.env, **(env or {})}, capture_output=True, text=True, timeout=600
        )

    def check(self, outcome: Outcome, issues: list[dict[str, Any]], comments: list[Any]) -> None:
        from readiness.history.duckdb_store import DuckDBHistory

        check(DuckDBHistory(self.history), self.attempted, outcome, issues, comments)

    def outbox_state(self) -> tuple[list[dict[str, Any]], list[Any]]:
        from readiness.trackers.outbox.tracker import OutboxTracker

        outbox = OutboxTracker(self.outbox)
        issues = outbox.issues()
        comments = [(i["issue_key"], c) for i in issues for c in outbox.comments(i["issue_key"])]
        return issues, comments


def check(
    history: Any,
    attempted: set[str],
    outcome: Outcome,
    issues: list[dict[str, Any]],
    comments: list[Any],
) -> None:
    """Rows exactly once, nothing lost, one issue per episode, no comment twice: from any
    history backend (``select`` speaks GoogleSQL on each) and the tracker's own state."""
    runs = Counter(r["run_id"] for r in history.select("SELECT run_id FROM {dataset}.evaluations"))
    whole = {
        r["run_id"]
        for r in history.select(
            "SELECT run_id FROM {dataset}.item_results GROUP BY run_id "
            "HAVING COUNT(*) = COUNT(DISTINCT item_id)"
        )
    }
    outcome.rows_lost += len(attempted - set(runs))
    outcome.duplicate_rows += sum(n - 1 for n in runs.values() if n > 1)
    outcome.duplicate_rows += sum(1 for run in runs if run not in whole)
    per_episode = Counter(i["episode_id"] for i in issues)
    outcome.duplicate_issues += sum(n - 1 for n in per_episode.values() if n > 1)
    links = Counter(
        r["episode_id"] for r in history.select("SELECT episode_id FROM {dataset}.issue_links")
    )
    outcome.duplicate_issues += sum(n - 1 for n in links.values() if n > 1)
    outcome.duplicate_comments += sum(n - 1 for n in Counter(comments).values() if n > 1)


def _keep_rp3_failing(project: Project) -> None:
    """Day 3's restore drill fails instead of passing: RP3 stays failing, for a new reason."""
    drill = project.evidence / FSS / "drill_report" / "backup-restore-2026-11-27.json"
    drill.write_text(drill.read_text().replace('"outcome": "passed"', '"outcome": "failed"'))


def _killed(result: subprocess.CompletedProcess[str]) -> bool:
    return result.returncode == -signal.SIGKILL


# --------------------------------------------------------------------------- scenarios


def kill_during_record(work: Path) -> Outcome:
    """kill -9 inside the history write, then the retry of the same run."""
    out = Outcome("kill -9 during record")
    project = Project(work)
    for key, day in (("d1", DAYS[0]), ("d2", DAYS[1])):
        out.faults += 1
        if _killed(project.evaluate(key, day, {"READINESS_FAILPOINT": "record"})):
            retry = project.evaluate(key, day)
            out.recovered += retry.returncode == 0
        else:
            out.notes.append(f"{key}: the failpoint did not fire")
    project.check(out, *project.outbox_state())
    return out


def kill_between_tracker_and_link(work: Path) -> Outcome:
    """kill -9 after the tracker opened the issue (and, the next day, after it took a
    comment) but before the link was saved; the retry of the same run recovers."""
    out = Outcome("kill -9 during sync_issues, between tracker and link")
    project = Project(work)
    assert project.evaluate("d1", DAYS[0]).returncode == 0
    _keep_rp3_failing(project)  # so day 3 comments on its issue
    steps = (("d2", DAYS[1], "sync-after-open"), ("d3", DAYS[2], "sync-after-comment"))
    for key, day, point in steps:
        out.faults += 1
        first = project.evaluate(key, day, {"READINESS_FAILPOINT": point})
        if not _killed(first):
            out.notes.append(f"{point}: did not fire (rc {first.returncode})")
            continue
        retry = project.evaluate(key, day)
        out.recovered += retry.returncode == 0
    issues, comments = project.outbox_state()
    if not issues:
        out.notes.append("no issue was opened at all")
        out.rows_lost += 1
    project.check(out, issues, comments)
    return out


def half_written_evidence(work: Path) -> Outcome:
    """A drill report cut off mid-write: that item is an error naming the file, the run
    records every other item, and once the file is whole the next run reads it."""
    out = Outcome("half-written evidence file")
    project = Project(work)
    reports = sorted((project.evidence / FSS / "drill_report").rglob("*.json"))
    victim = reports[-1]
    whole = victim.read_text()
    victim.write_text(whole[: len(whole) // 2])
    out.faults += 1
    broken = project.evaluate("d1", DAYS[0])
    if broken.returncode != 0:
        out.notes.append(f"the run failed: {broken.stderr[-500:]}")
    victim.write_text(whole)
    fixed = project.evaluate("d1b", DAYS[0])
    out.recovered += broken.returncode == 0 and fixed.returncode == 0
    from readiness.history.duckdb_store import DuckDBHistory

    rows = DuckDBHistory(project.history).query(
        "SELECT COUNT(*) AS n FROM readiness.item_results WHERE run_id = $r AND status = 'error'",
        {"r": f"{FSS}@d1"},
    )
    if rows[0]["n"] < 1:
        out.notes.append("the cut-off file was not reported as an error")
    project.check(out, *project.outbox_state())
    return out


def linear_storm(work: Path) -> Outcome:
    """Linear answers 429 and 5xx to everything; the run records and leaves the issue
    pending; Linear recovers and the next run opens it, once."""
    from readiness.trackers.linear.fake_server import FakeLinear, Fault

    out = Outcome("Linear 429 and 5xx storm, then recovery")
    project = Project(work, tracker="linear")
    linear = FakeLinear(api_key="lin_api_chaos")
    url = linear.start()
    env = {"LINEAR_API_KEY": "lin_api_chaos", "LINEAR_ENDPOINT": url}
    try:
        assert project.evaluate("d1", DAYS[0], env).returncode == 0
        _keep_rp3_failing(project)  # so the calm run still has the issue to open
        linear.faults.extend(
            Fault(status=429, code="RATELIMITED", headers={"Retry-After": "0"})
            if i % 2
            else Fault(status=503)
            for i in range(400)
        )
        out.faults += 1
        stormy = project.evaluate("d2", DAYS[1], env)
        linear.faults.clear()
        calm = project.evaluate("d3", DAYS[2], env)
        # the storm defers the issue; the calm run opens it, once
        out.recovered += stormy.returncode == 0 and calm.returncode == 0 and len(linear.issues) == 1
        if linear.rejected:
            out.notes.append(f"{len(linear.rejected)} operation(s) rejected by the schema")
        issues = [
            {"episode_id": i.get("id"), "issue_key": i.get("identifier")}
            for i in linear.issues.values()
        ]
        comments = [(c.get("issueId"), c.get("body")) for c in linear.comments.values()]
        project.check(out, issues, comments)
    finally:
        linear.stop()
    return out


def storage_outage(work: Path) -> Outcome:
    """The evidence bucket refuses connections for a run, then answers again."""
    from readiness.testing.emulators import free_port

    out = Outcome("storage endpoint down mid-history, then back")
    project = Project(work)
    assert project.evaluate("d1", DAYS[0]).returncode == 0
    down = {
        "READINESS_EVIDENCE_ROOT": "gs://evidence-bucket/evidence",
        "READINESS_LIVE_SOURCES": "false",
        "STORAGE_EMULATOR_HOST": f"http://127.0.0.1:{free_port()}",
    }
    out.faults += 1
    started = time.monotonic()
    dark = project.evaluate("d2", DAYS[1], down)
    seconds = time.monotonic() - started
    back = project.evaluate("d3", DAYS[2])
    out.recovered += dark.returncode == 0 and back.returncode == 0
    out.notes.append(f"the run during the outage took {seconds:.0f} s")
    project.check(out, *project.outbox_state())
    return out


def two_services_at_once(work: Path) -> Outcome:
    """Two services record and sync into one DuckDB file at the same moment."""
    out = Outcome("two services recording at once")
    project = Project(work)
    out.faults += 1
    procs = []
    for service in (FSS, MNT):
        project.attempted.add(f"{service}@both")
        args = [sys.executable, "-m", "readiness.cli.main", "evaluate", "--as-of", DAYS[0]]
        args += ["--run-id", "both", "--service", service]
        procs.append(
            subprocess.Popen(
                args, env=project.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
        )
    codes = [p.wait(timeout=600) for p in procs]
    out.recovered += all(code == 0 for code in codes)
    project.check(out, *project.outbox_state())
    return out


# --------------------------------------------------------------------------- in Airflow

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
                "READINESS_LIVE_SOURCES": "false",
                "READINESS_HISTORY": f"duckdb://{self.work / 'reference.duckdb'}",
            }
        )
        args = [sys.executable, "-m", "readiness.cli.main", "evaluate", "--json", "--dry-run"]
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


def in_airflow(work: Path) -> list[Outcome]:
    """The faults in real Airflow task processes, one story day each, recovered by
    Airflow's retry of the task: kill -9 inside the BigQuery write and between Linear
    opening the issue and the link being saved; the BigQuery emulator stopped between the
    two MERGEs; the Cloud Storage emulator stopped as the store is about to be read; a
    Linear storm while the issue closes; then two services' runs at once."""
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


Scenario = Callable[[Path], "Outcome | list[Outcome]"]
QUICK: list[Scenario] = [
    kill_during_record,
    kill_between_tracker_and_link,
    half_written_evidence,
    in_airflow,
]
FULL: list[Scenario] = [
    *QUICK,
    linear_storm,
    storage_outage,
    two_services_at_once,
]


def main(argv: list[str] | None = None) -> list[Outcome]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the subset CI runs")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    sys.path[:0] = [str(ROOT / "include"), str(ROOT / "plugins")]
    work = Path(tempfile.mkdtemp(prefix="readiness-chaos-"))
    outcomes = []
    try:
        for position, scenario in enumerate(QUICK if args.quick else FULL):
            folder = work / f"{position}-{scenario.__name__}"
            folder.mkdir()
            started = time.monotonic()
            result = scenario(folder)
            group = result if isinstance(result, list) else [result]
            group[-1].notes.append(f"{time.monotonic() - started:.0f} s")
            for outcome in group:
                outcomes.append(outcome)
                mark = "ok  " if outcome.ok else "FAIL"
                print(f"{mark} {outcome.scenario}: {'; '.join(outcome.notes)}", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    total = {
        "faults injected": sum(o.faults for o in outcomes),
        "recovered": sum(o.recovered for o in outcomes),
        "rows lost": sum(o.rows_lost for o in outcomes),
        "duplicate rows": sum(o.duplicate_rows for o in outcomes),
        "duplicate issues": sum(o.duplicate_issues for o in outcomes),
        "duplicate comments": sum(o.duplicate_comments for o in outcomes),
    }
    print(", ".join(f"{k} {v}" for k, v in total.items()))
    if args.json:
        args.json.write_text(
            json.dumps([{**o.__dict__, "ok": o.ok} for o in outcomes], indent=2) + "\n"
        )
    return outcomes


if __name__ == "__main__":
    sys.exit(0 if all(o.ok for o in main()) else 1)

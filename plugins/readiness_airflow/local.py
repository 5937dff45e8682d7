"""Airflow on a laptop or in CI: the embedded-default environment (SQLite metadata DB under
``var/airflow``, the project's ``dags/`` and ``plugins/``) and a way to run one DAG run
in-process with ``dag.test()``.

``airflow_env`` must be applied before ``airflow`` is first imported: Airflow reads its
configuration once, at import."""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from readiness.spec.config import load_settings

#: The Airflow connection the service DAGs' evidence AssetWatchers read (a Redis).
EVENTS_CONN_ID = "readiness_events"
EVENTS_CONN_ENV = f"AIRFLOW_CONN_{EVENTS_CONN_ID.upper()}"

#: Two cores: two task slots, so a second process (the UI, a second run) still has room.
PARALLELISM = 2


def airflow_env(project_root: Path, home: Path | None = None) -> dict[str, str]:
    """The ``AIRFLOW__*`` settings of a local Airflow serving this project's DAGs."""
    home = home or project_root / "var" / "airflow"
    events = load_settings(project_root=project_root).evidence_events
    return {
        # the Redis the service DAGs' AssetWatchers listen on (factory.evidence_asset)
        **({EVENTS_CONN_ENV: events} if events else {}),
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(project_root / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(project_root / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        # A new user should see the sample services run without hunting for the toggles;
        # production keeps Airflow's default (paused at creation).
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        "AIRFLOW__CORE__PARALLELISM": str(PARALLELISM),
        "AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG": str(PARALLELISM),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "passwords.json"),
        "READINESS_HOME": str(project_root),
    }


def api_urls(environ: Mapping[str, str]) -> dict[str, str]:
    """The api-server's own URL and the task execution API's, following the port and host
    it listens on (``AIRFLOW__API__PORT``, ``AIRFLOW__API__HOST``) unless set themselves.
    Airflow's default for both is ``http://localhost:8080`` whatever the port: with the UI
    moved to 18080, every task tried to report to 8080 and every run failed."""
    port = environ.get("AIRFLOW__API__PORT", "8080")
    host = environ.get("AIRFLOW__API__HOST", "") or "localhost"
    if host in ("0.0.0.0", "::", "[::]"):  # listening on every address: reach it locally
        host = "localhost"
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    base = environ.get("AIRFLOW__API__BASE_URL") or f"http://{host}:{port}"
    return {
        "AIRFLOW__API__PORT": port,
        "AIRFLOW__API__BASE_URL": base,
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": environ.get(
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL", f"{base.rstrip('/')}/execution/"
        ),
    }


def apply_env(values: Mapping[str, str], *, override: bool = False) -> None:
    """Set the variables not already set (or all of them with ``override``), so a user's
    own ``AIRFLOW__*`` choices win over the defaults."""
    for key, value in values.items():
        if override or key not in os.environ:
            os.environ[key] = value
    Path(os.environ["AIRFLOW_HOME"]).mkdir(parents=True, exist_ok=True)
    quiet_third_party_warnings()


def migrate_metadata_db() -> None:
    """Create or upgrade the metadata DB (a no-op when it is current)."""
    from airflow.utils import db

    db.upgradedb()


@dataclass
class LocalRun:
    """What a finished ``dag.test()`` run left behind."""

    dag_id: str
    run_id: str
    state: str
    note: str | None
    task_states: dict[str, str] = field(default_factory=dict)

    @property
    def succeeded(self) -> bool:
        return self.state == "success"


def load_dags(dags_folder: Path) -> dict[str, Any]:
    """The DAGs of the folder, by id; import errors raise (they are the caller's bug)."""
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(dags_folder))
    if bag.import_errors:
        raise RuntimeError(f"DAG import errors: {bag.import_errors}")
    return dict(bag.dags)


def quiet_third_party_warnings() -> None:
    """Starlette warns, on import of its test client, that it wants ``httpx2``. Nothing here
    uses that client: ``svcs`` imports it for a type annotation when ``dag.test()`` builds
    Airflow's in-process API. The warning is not the SRE's concern, so it is filtered by its
    exact text; every other warning still shows."""
    warnings.filterwarnings(
        "ignore",
        message=r"Using `httpx` with `starlette\.testclient` is deprecated",
        category=UserWarning,
    )


def run_dag(dag: Any, logical_date: datetime) -> LocalRun:
    """One DAG run at ``logical_date`` with ``dag.test()``. ``run_after`` is the logical
    date too, so the Airflow run id (``manual__<logical date>``) and hence the readiness
    run id are the same every time: running it again replaces that run's history rows.

    ``dag.test()`` stamps the run as started at its logical date and ended on the wall
    clock, so a run replayed for a past date would show in the UI as lasting days. The
    run and its task instances are moved onto the logical date afterwards, keeping their
    real durations, so the grid and the run-duration chart read like real runs."""
    from airflow.models.dagrun import DagRun
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from sqlalchemy import select

    began = datetime.now(UTC)
    # dag.test() on Airflow 3.3.2 fails a DAG with a Deadline Alert when its run succeeds
    # (DagRun.update_state looks the un-serialised alert up as an id: "'dict' object has no
    # attribute 'hex'"). Deadlines are the scheduler's; dag.test() runs none, so the alert is
    # left off for the in-process run and put back after.
    deadline, dag.deadline = dag.deadline, None
    try:
        dr = dag.test(logical_date=logical_date, run_after=logical_date)
    finally:
        dag.deadline = deadline
    with create_session() as session:
        run = session.scalar(
            select(DagRun).where(DagRun.dag_id == dag.dag_id, DagRun.run_id == dr.run_id)
        )
        assert run is not None
        tis = session.scalars(
            select(TaskInstance).where(
                TaskInstance.dag_id == dag.dag_id, TaskInstance.run_id == dr.run_id
            )
        ).all()
        _replay_on(run, tis, began, logical_date)
        states: dict[str, str] = {}
        for ti in tis:
            name = ti.task_id if ti.map_index < 0 else f"{ti.task_id}[{ti.map_index}]"
            states[name] = str(getattr(ti.state, "value", ti.state))
        return LocalRun(
            dag_id=dag.dag_id,
            run_id=run.run_id,
            state=str(getattr(run.state, "value", run.state)),
            note=run.note,
            task_states=states,
        )


def _replay_on(run: Any, tis: Sequence[Any], began: datetime, logical_date: datetime) -> None:
    """Move a finished run's timestamps from the wall clock (it began at ``began``) onto its
    logical date, keeping every duration."""
    shift = logical_date - began
    run.queued_at = run.start_date = logical_date
    if run.end_date is not None:
        run.end_date = max(run.end_date + shift, logical_date)
    for ti in tis:
        for column in ("queued_dttm", "scheduled_dttm", "start_date", "end_date"):
            value = getattr(ti, column, None)
            if value is not None:
                setattr(ti, column, value + shift)

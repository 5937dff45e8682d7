"""Writes a readiness run's outcome into its DAG run note, so the grid shows
"file-storage-service: L2 (target L3, previous L2); regressions: none" without a click into
a log.

Tasks cannot write notes (Airflow 3 tasks have no metadata DB access); this listener runs in
the scheduler, which has it, when the run finishes. It reads the outcome the ``record`` or
``revalidate`` tasks returned as XCom. Any failure here is logged and ignored: a note is a
convenience, never a reason to disturb the scheduler."""

from __future__ import annotations

import logging
import re
from typing import Any

from airflow.listeners import hookimpl

log = logging.getLogger(__name__)
#: A note this listener wrote: ``<service>: <level> (target …``; a cleared and re-run
#: DAG run gets a fresh one.
_OURS = re.compile(r"^\S+: \S+ \(target \S+, previous \S+\)")
#: Tasks whose return values make up the note: the outcome (``record``), the issue
#: actions (``sync_issues``), or both at once (the quarterly ``revalidate``).
NOTE_TASKS = ("record", "sync_issues", "revalidate", "quarterly_report")


def run_note(values: list[dict[str, Any]]) -> str | None:
    """One headline per service; issue actions join the outcome of the same run."""
    from readiness.pipeline.stages import headline

    values = [v for v in values if isinstance(v, dict)]
    outcomes = [v for v in values if "achieved_level" in v]
    synced = [v for v in values if "opened" in v and "achieved_level" not in v]
    lines = []
    for outcome in outcomes:
        issues = outcome.get("issues")
        if issues is None and len(outcomes) == 1 and synced:
            issues = synced[0]
        lines.append(headline(outcome, issues))
    reports = [f"quarterly report {v['quarter']}: {v['uri']}" for v in values if "quarter" in v]
    return "\n".join(sorted(lines) + reports) or None


def _write_note(dag_run: Any) -> None:
    if not str(dag_run.dag_id).startswith("readiness__"):
        return
    from sqlalchemy import select
    from sqlalchemy.orm import object_session

    session = object_session(dag_run)
    if session is not None:  # the scheduler: the run is in its session, which commits
        _annotate(dag_run, session)
        return
    # ``dag.test()`` hands over a detached run: annotate it in a session of our own.
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session

    with create_session() as own:
        attached = own.scalar(
            select(DagRun).where(DagRun.dag_id == dag_run.dag_id, DagRun.run_id == dag_run.run_id)
        )
        if attached is not None:
            _annotate(attached, own)


def _annotate(dag_run: Any, session: Any) -> None:
    from airflow.models.xcom import XComModel
    from sqlalchemy import select

    query = select(XComModel).where(
        XComModel.dag_id == dag_run.dag_id,
        XComModel.run_id == dag_run.run_id,
        XComModel.task_id.in_(NOTE_TASKS),
        XComModel.key == "return_value",
    )
    outcomes = [XComModel.deserialize_value(row) for row in session.scalars(query)]
    note = run_note(outcomes)
    if note and (not dag_run.note or _OURS.match(dag_run.note)):
        dag_run.note = note  # never overwrite a note an SRE wrote by hand


def _safely(dag_run: Any) -> None:
    try:
        _write_note(dag_run)
    except Exception:
        log.exception("readiness: could not write the run note for %s", dag_run.run_id)


@hookimpl
def on_dag_run_success(dag_run: Any, msg: str) -> None:
    _safely(dag_run)


@hookimpl
def on_dag_run_failed(dag_run: Any, msg: str) -> None:
    _safely(dag_run)

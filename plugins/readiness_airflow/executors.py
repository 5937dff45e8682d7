"""Executors whose long-lived processes import Great Expectations once, so each ``score``
task (forked from them) does not pay the import: about 2.6 CPU-s of a 7-CPU-s run.

On Linux Airflow 3 runs a task as a bare ``os.fork()`` of the executor's worker process, so
whatever that process has imported, the task has too, shared copy-on-write. Select with
``AIRFLOW__CORE__EXECUTOR=readiness_airflow.executors.ReadinessLocalExecutor``; for Celery,
``celery_config`` preloads in each worker's main process before its pool forks. GX still
decides every expectation: only the import moves."""

from __future__ import annotations

import logging
import time

from airflow.executors.local_executor import LocalExecutor

log = logging.getLogger(__name__)


def preload_validation() -> float:
    """Import what the ``score`` task needs; returns the CPU-seconds it took."""
    from readiness.pipeline.validation import preload

    started = time.process_time()
    preload()
    spent = time.process_time() - started
    log.info("readiness: Great Expectations preloaded for forked tasks (%.1f CPU-s)", spent)
    return spent


class ReadinessLocalExecutor(LocalExecutor):
    """The LocalExecutor, with the validation libraries imported before its workers fork
    (the scheduler process holds them; the workers and their tasks share the pages)."""

    def start(self) -> None:
        if self.is_mp_using_fork:
            preload_validation()
        super().start()

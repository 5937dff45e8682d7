"""Executors whose long-lived processes import Great Expectations once, so each ``score``
task (forked from them) does not pay the import: about 2.6 CPU-s of a 7-CPU-s run.

On Linux Airflow 3 runs a task as a bare ``os.fork()`` of the executor's worker process, so
whatever that process has imported, the task has too, shared copy-on-write. Select with
``AIRFLOW__CORE__EXECUTOR=readiness_airflow.executors.ReadinessLocalExecutor``; for Celery,
``celery_config`` preloads in each worker's main process before its pool forks. GX still
decides every expectation: only the import moves."""

from __future__ import annotations

import contextlib
import logging
import time

from airflow.executors.local_executor import LocalExecutor

log = logging.getLogger(__name__)


def preload_validation() -> float:
    """Import what every forked task would import again: the ``score`` task's validation
    libraries, and what a task's parse of the DAG file imports (the factory, the spec
    loader and its pydantic models, the AssetWatcher's message-queue trigger with the
    Redis provider). Returns the CPU-seconds it took.

    A task's first parse spent 0.45 s (profiled) on imports alone: 0.15 s building the spec
    loader's pydantic models and 0.09 s discovering the Redis provider's queue for the
    evidence watcher. Imported once here, the forked task finds them in memory."""
    from readiness.pipeline.validation import preload

    started = time.process_time()
    preload()
    import readiness_airflow.factory
    import readiness_airflow.runtime  # noqa: F401  (the tasks' own code)

    with contextlib.suppress(ImportError):  # the evidence AssetWatcher's trigger
        from airflow.providers.common.messaging.triggers import msg_queue  # noqa: F401
    spent = time.process_time() - started
    log.info("readiness: task imports preloaded for forked tasks (%.1f CPU-s)", spent)
    return spent


class ReadinessLocalExecutor(LocalExecutor):
    """The LocalExecutor, with the validation libraries imported before its workers fork
    (the scheduler process holds them; the workers and their tasks share the pages)."""

    def start(self) -> None:
        if self.is_mp_using_fork:
            preload_validation()
        super().start()

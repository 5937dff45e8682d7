"""Failpoints, as etcd and FoundationDB carry them: named places where the chaos suite
(``scripts/chaos.py``, ``make chaos``) kills or holds the process, to prove that what is
recorded survives a crash or an outage at the worst moment. Inert in production: a point
fires only in a process whose environment also sets the test-only switch
``READINESS_TEST_FAILPOINTS=1`` (the chaos suite and its tests set it), so an environment
variable a deployment inherits by mistake can never kill a task. The check is one
environment lookup.

Two ways to arm a point:

- ``READINESS_FAILPOINT=<point>``: the process dies there, every time (one-process runs).
- ``READINESS_FAILPOINTS=<folder>``: a point is armed by a file named after it, holding its
  action, ``kill`` or ``pause``. The first process to reach it claims it by renaming the
  file to ``<point>.fired`` (atomic), so it fires once, whichever Airflow task process or
  retry gets there first. ``pause`` then holds the process until the suite releases it
  through the FIFO ``<point>.pause`` (``Armed.release``), after doing its fault (stopping
  an emulator, say), so the fault lands exactly between two writes."""

from __future__ import annotations

import contextlib
import errno
import os
import select
import signal
from pathlib import Path

ENV = "READINESS_FAILPOINT"
FOLDER_ENV = "READINESS_FAILPOINTS"
#: The test-only switch without which no point fires.
ENABLE_ENV = "READINESS_TEST_FAILPOINTS"
ACTIONS = ("kill", "pause")
#: A paused process goes on by itself after this, so a suite that died cannot hang a task.
PAUSE_LIMIT_S = 600.0

#: Where a run can be killed or held, each between two writes that must not be half done.
POINTS = {
    "record": "inside the history write, after the rows are inserted, before the commit "
    "(BigQuery: between the item_results and the evaluations MERGE)",
    "transfer": "the history transfer has loaded a batch's rows and events, its verdicts "
    "are not appended yet",
    "sync-after-open": "the tracker has opened the issue, its link is not saved yet",
    "sync-after-comment": "the tracker has taken the comment, the link is not updated yet",
    "collect.<source>": "one evidence source is about to be read (collect.store, ...)",
}


def hit(name: str) -> None:
    """Die or hold here, if the suite armed this point (and switched failpoints on)."""
    if os.environ.get(ENABLE_ENV) != "1":
        return
    if os.environ.get(ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)
    folder = os.environ.get(FOLDER_ENV)
    if not folder:
        return
    action = _claim(Path(folder), name)
    if action == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    elif action == "pause":
        _hold(Path(folder) / f"{name}.pause")


def _claim(folder: Path, name: str) -> str | None:
    armed, fired = folder / name, folder / f"{name}.fired"
    try:
        armed.rename(fired)
    except FileNotFoundError:
        return None  # not armed, or another process got here first
    return fired.read_text().strip() or "kill"


def _hold(fifo: Path) -> None:
    """Wait until the suite writes to the FIFO (opened without blocking, so the wait has
    a limit); without a FIFO there is nothing to wait for."""
    try:
        fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        return
    try:
        ready, _, _ = select.select([fd], [], [], PAUSE_LIMIT_S)
        if ready:
            os.read(fd, 64)
    finally:
        os.close(fd)


class Armed:
    """The suite's side of ``READINESS_FAILPOINTS``: arm points, see them fire, release a
    held process."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    @property
    def env(self) -> dict[str, str]:
        return {FOLDER_ENV: str(self.folder), ENABLE_ENV: "1"}

    def arm(self, name: str, action: str = "kill") -> None:
        if action not in ACTIONS:
            raise ValueError(f"failpoint action {action!r}: expected one of {ACTIONS}")
        self.disarm(name)
        if action == "pause":
            os.mkfifo(self.folder / f"{name}.pause")
        (self.folder / name).write_text(action)

    def disarm(self, name: str) -> None:
        for leftover in (name, f"{name}.fired", f"{name}.pause"):
            with contextlib.suppress(FileNotFoundError):
                (self.folder / leftover).unlink()

    def fired(self, name: str) -> bool:
        return (self.folder / f"{name}.fired").exists()

    def release(self, name: str) -> bool:
        """Let the process held at ``name`` go on; False if none is holding there."""
        try:
            fd = os.open(self.folder / f"{name}.pause", os.O_WRONLY | os.O_NONBLOCK)
        except OSError as exc:
            if exc.errno in (errno.ENXIO, errno.ENOENT):  # no reader: nobody is held
                return False
            raise
        try:
            os.write(fd, b"go\n")
        finally:
            os.close(fd)
        return True

"""SIGTERM and SIGHUP end a script the way Ctrl-C does: with an exception, so every
``with`` block's teardown runs (clusters stopped, throwaway databases dropped).

Python's default for SIGTERM is to die at once. A ``make bench`` stopped by ``timeout``
(which signals its whole process group) left its api-server, scheduler, dag-processor and
their PostgreSQL running for 40 minutes: each runs in a process group of its own, so the
signal never reached them and nothing was left to stop them."""

from __future__ import annotations

import signal
from types import FrameType


def _exit(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def stop_on_termination() -> None:
    """Turn SIGTERM and SIGHUP into ``SystemExit(128 + signal)`` for this process."""
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _exit)

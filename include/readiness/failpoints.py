"""Failpoints, as etcd and FoundationDB carry them: named places where the chaos suite
(``scripts/chaos.py``, ``make chaos``) kills the process with SIGKILL, to prove that what
is recorded survives a crash at the worst moment. Off unless ``READINESS_FAILPOINT`` names
the point; the check is one environment lookup."""

from __future__ import annotations

import os
import signal

ENV = "READINESS_FAILPOINT"

#: Where a run can be killed, each between two writes that must not be half done.
POINTS = {
    "record": "inside the history write, after the rows are inserted, before the commit",
    "sync-after-open": "the tracker has opened the issue, its link is not saved yet",
    "sync-after-comment": "the tracker has taken the comment, the link is not updated yet",
}


def hit(name: str) -> None:
    """Die here, as ``kill -9`` would, if the suite asked for this point."""
    if os.environ.get(ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)

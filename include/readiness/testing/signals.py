"""A pytest plugin: SIGTERM stops the suite, with every fixture torn down (servers,
clusters, throwaway databases), whoever else handles the signal.

Airflow's in-process task runner (``dag.test()``) installs a SIGTERM handler that only
calls the task's ``on_kill`` and returns, and never puts the old one back: after the first
in-process task, a cancelled CI job's SIGTERM was swallowed and the suite ran on. Here any
SIGTERM handler installed in this process is chained with ours, which ends the session
through ``pytest.exit`` (fixture finalizers run) with exit code 143."""

from __future__ import annotations

import signal
from collections.abc import Callable
from types import FrameType
from typing import Any

import pytest

_install = signal.signal


def _stop(signum: int, _frame: FrameType | None) -> None:
    pytest.exit(f"stopped by signal {signum}; fixtures torn down", returncode=128 + signum)


def _chained(signum: int, handler: Any) -> Any:
    """``signal.signal`` for this process: a SIGTERM handler someone installs runs, then
    ours stops the session."""
    if signum != signal.SIGTERM or handler is _stop:
        return _install(signum, handler)
    theirs: Callable[[int, FrameType | None], Any] | None = handler if callable(handler) else None

    def both(number: int, frame: FrameType | None) -> None:
        if theirs is not None:
            theirs(number, frame)
        _stop(number, frame)

    return _install(signum, both)


def pytest_configure(config: pytest.Config) -> None:
    _install(signal.SIGTERM, _stop)
    signal.signal = _chained  # type: ignore[assignment]


def pytest_unconfigure(config: pytest.Config) -> None:
    signal.signal = _install

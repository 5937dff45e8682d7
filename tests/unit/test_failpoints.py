"""Failpoints armed through a folder fire once, in whichever process gets there first, and a
held process goes on only when the suite releases it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from readiness.support import failpoints
from readiness.support.failpoints import Armed

ROOT = Path(__file__).resolve().parents[2]
REACH = "from readiness.support import failpoints; failpoints.hit('record'); print('went on')"


def _reach(armed: Armed) -> subprocess.Popen[str]:
    env = {**os.environ, **armed.env, "PYTHONPATH": str(ROOT / "include")}
    env.pop(failpoints.ENV, None)
    return subprocess.Popen(
        [sys.executable, "-c", REACH], env=env, stdout=subprocess.PIPE, text=True
    )


def test_a_point_armed_to_kill_kills_the_first_process_only(tmp_path: Path) -> None:
    armed = Armed(tmp_path / "fp")
    armed.arm("record")
    first = _reach(armed)
    assert first.wait(timeout=60) == -signal.SIGKILL
    assert armed.fired("record")
    second = _reach(armed)  # the retry
    out, _ = second.communicate(timeout=60)
    assert second.returncode == 0 and out.strip() == "went on"


def test_a_held_process_waits_for_the_release(tmp_path: Path) -> None:
    armed = Armed(tmp_path / "fp")
    armed.arm("record", "pause")
    held = _reach(armed)
    try:
        while not armed.fired("record"):
            with pytest.raises(subprocess.TimeoutExpired):
                held.wait(timeout=0.2)
        with pytest.raises(subprocess.TimeoutExpired):
            held.wait(timeout=1)  # reached the point and stays there
        # it may not have opened the FIFO yet: release until it is there to take it
        while not armed.release("record"):
            with pytest.raises(subprocess.TimeoutExpired):
                held.wait(timeout=0.2)
        out, _ = held.communicate(timeout=60)
    finally:
        held.kill()
    assert held.returncode == 0 and out.strip() == "went on"
    assert not armed.release("record")  # nobody is held any more


def test_unarmed_points_and_other_points_do_nothing(tmp_path: Path) -> None:
    armed = Armed(tmp_path / "fp")
    armed.arm("sync-after-open")
    process = _reach(armed)
    out, _ = process.communicate(timeout=60)
    assert process.returncode == 0 and out.strip() == "went on"
    assert not armed.fired("sync-after-open")


def test_an_unknown_action_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="expected one of"):
        Armed(tmp_path).arm("record", "explode")


def test_an_armed_point_is_inert_without_the_test_only_switch(tmp_path: Path) -> None:
    """A deployment that inherits READINESS_FAILPOINT(S) by mistake never kills a task."""
    armed = Armed(tmp_path / "fp")
    armed.arm("record")
    env = {**os.environ, **armed.env, "PYTHONPATH": str(ROOT / "include")}
    env["READINESS_FAILPOINT"] = "record"
    env.pop(failpoints.ENABLE_ENV)
    done = subprocess.run(
        [sys.executable, "-c", REACH], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0 and done.stdout.strip() == "went on"
    assert not armed.fired("record")

"""A hang is a named failure, never a stuck CI: timed waits work under libfaketime with the
preload .ci/run builds, and a test that blocks fails with every thread's stack."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LIBFAKETIME = Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1")
WAIT = (
    "import threading, time, datetime; t = time.monotonic(); threading.Event().wait(0.5); "
    "print(round(time.monotonic() - t, 1), datetime.datetime.now().year)"
)


@pytest.mark.skipif(
    not (shutil.which("cc") and LIBFAKETIME.exists()), reason="needs cc and libfaketime"
)
def test_a_timed_wait_under_faketime_returns_on_time_with_the_preload(tmp_path: Path) -> None:
    shim = tmp_path / "semfix.so"
    subprocess.run(
        ["cc", "-O2", "-shared", "-fPIC", "-o", shim, ROOT / ".ci/faketime_semfix.c", "-ldl"],
        check=True,
    )
    env = {
        **os.environ,
        "LD_PRELOAD": f"{shim}:{LIBFAKETIME}",
        "FAKETIME": "+400d",
    }
    done = subprocess.run(
        [sys.executable, "-c", WAIT], env=env, capture_output=True, text=True, timeout=20
    )
    waited, year = done.stdout.split()
    assert float(waited) == 0.5
    # the preload fixes the wait, not the date: the process still sees the shifted clock
    assert int(year) >= 2027


def test_a_blocked_test_fails_with_its_stack_instead_of_hanging(tmp_path: Path) -> None:
    (tmp_path / "test_blocked.py").write_text(
        textwrap.dedent(
            """
            import threading

            def test_blocked():
                threading.Event().wait()
            """
        )
    )
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "pytest_timeout", "--timeout", "2"],
        cwd=tmp_path,
        env={**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "Timeout" in done.stdout and "test_blocked" in done.stdout
    assert "threading.py" in done.stdout  # the stack of the wait that blocked

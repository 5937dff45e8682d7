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


def test_sigterm_stops_the_suite_and_tears_fixtures_down(tmp_path: Path) -> None:
    """After an in-process Airflow task, its SIGTERM handler swallowed the signal: the
    suite ran on. A handler like Airflow's is installed here; SIGTERM still stops it."""
    import signal
    import time

    (tmp_path / "test_cancelled.py").write_text(
        textwrap.dedent(
            """
            import signal, time
            from pathlib import Path
            import pytest

            @pytest.fixture
            def server():
                yield
                Path("torn-down").write_text("yes")

            def test_first(server):
                signal.signal(signal.SIGTERM, lambda *_: None)  # as Airflow's task runner
                Path("ready").write_text("")
                time.sleep(60)

            def test_second():
                Path("second-ran").write_text("")
            """
        )
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-q", "-p", "readiness.testing.signals"],
        cwd=tmp_path,
        env={**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not (tmp_path / "ready").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        process.send_signal(signal.SIGTERM)
        out, _ = process.communicate(timeout=20)
    finally:
        process.kill()
    assert process.returncode == 143, out
    assert (tmp_path / "torn-down").read_text() == "yes"
    assert not (tmp_path / "second-ran").exists()
    assert "stopped by signal 15" in out

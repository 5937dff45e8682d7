"""Render a self-contained HTML page to PNG with headless Chromium (Debian's ``chromium``),
for the README's picture of the quarterly report: ``python scripts/screenshot.py PAGE PNG``.

Chromium runs with no network and a throw-away profile; nothing is downloaded."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
]


def capture(url: str, png: Path, width: int, height: int, wait_ms: int = 0) -> None:
    """``url`` rendered to ``png``; ``wait_ms`` of virtual time lets a script-built page
    (the Airflow UI) finish rendering first."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        raise SystemExit("chromium is not installed (apt-get install chromium)")
    wait = [f"--virtual-time-budget={wait_ms}"] if wait_ms else []
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                browser,
                *FLAGS,
                *wait,
                f"--user-data-dir={profile}",
                f"--window-size={width},{height}",
                f"--screenshot={png.resolve()}",
                url,
            ],
            check=True,
            capture_output=True,
            timeout=180,
        )


def dom(url: str, wait_ms: int = 0) -> str:
    """What a person's browser ends up with at ``url``: the DOM after scripts ran."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        raise SystemExit("chromium is not installed (apt-get install chromium)")
    wait = [f"--virtual-time-budget={wait_ms}"] if wait_ms else []
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run(
            [browser, *FLAGS, *wait, f"--user-data-dir={profile}", "--dump-dom", url],
            check=True,
            capture_output=True,
            text=True,
            timeout=180,
        )
    return done.stdout


def screenshot(page: Path, png: Path, width: int = 1240, height: int = 2000) -> None:
    capture(page.resolve().as_uri(), png, width, height)


if __name__ == "__main__":
    if len(sys.argv) < 3:
        raise SystemExit("usage: screenshot.py PAGE.html OUT.png [WIDTH HEIGHT]")
    size = [int(v) for v in sys.argv[3:5]]
    screenshot(Path(sys.argv[1]), Path(sys.argv[2]), *size)

"""Start the Airflow UI locally (``airflow standalone``) with the project's DAGs on the
embedded defaults: SQLite metadata DB in var/airflow, DuckDB history, local outbox.
Run with `make airflow-ui`; stop with Ctrl-C.

Sign in as ``admin``; the password is generated on first start into
var/airflow/passwords.json (SimpleAuthManager) and printed below once it exists."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "plugins"))

from readiness_airflow.local import airflow_env, apply_env  # noqa: E402


def _announce(passwords: Path, port: str) -> None:
    for _ in range(300):
        if passwords.exists() and passwords.read_text().strip():
            password = json.loads(passwords.read_text()).get("admin", "?")
            print(
                f"\n  readiness: Airflow UI at http://localhost:{port}  user admin  "
                f"password {password}  (kept in {passwords})\n",
                flush=True,
            )
            return
        time.sleep(1)


def main() -> None:
    apply_env(airflow_env(ROOT))
    bin_dir = Path(sys.executable).parent
    # standalone starts its components as `airflow …` subprocesses: they must be on PATH
    os.environ["PATH"] = f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"
    port = os.environ.setdefault("AIRFLOW__API__PORT", "8080")
    passwords = Path(os.environ["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"])
    threading.Thread(target=_announce, args=(passwords, port), daemon=True).start()
    standalone = subprocess.Popen([str(bin_dir / "airflow"), "standalone"])

    def forward(signum: int, _frame: object) -> None:
        """standalone stops its scheduler, api-server, … itself when told to."""
        standalone.send_signal(signum)

    signal.signal(signal.SIGINT, forward)
    signal.signal(signal.SIGTERM, forward)
    sys.exit(standalone.wait())


if __name__ == "__main__":
    main()

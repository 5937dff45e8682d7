"""Start the Airflow UI locally (``airflow standalone``) with the project's DAGs on the
embedded defaults: SQLite metadata DB in var/airflow, DuckDB history, local outbox.
Run with `make airflow-ui` (another port: ``AIRFLOW__API__PORT=18080 make airflow-ui``);
stop with Ctrl-C.

Sign in as ``admin``; the password is generated on first start into
var/airflow/passwords.json (SimpleAuthManager) and printed below once it exists."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "plugins"))

from readiness_airflow.local import airflow_env, api_urls, apply_env  # noqa: E402


def _password(passwords: Path) -> str | None:
    if passwords.exists() and passwords.read_text().strip():
        return str(json.loads(passwords.read_text()).get("admin", "?"))
    return None


def main() -> None:
    apply_env(airflow_env(ROOT))
    bin_dir = Path(sys.executable).parent
    # standalone starts its components as `airflow …` subprocesses: they must be on PATH
    os.environ["PATH"] = f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"
    # the UI and the task execution API both follow AIRFLOW__API__PORT (and __HOST)
    apply_env(api_urls(os.environ))
    base = os.environ["AIRFLOW__API__BASE_URL"]
    passwords = Path(os.environ["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"])
    standalone = subprocess.Popen([str(bin_dir / "airflow"), "standalone"])

    def forward(signum: int, _frame: object) -> None:
        """standalone stops its scheduler, api-server, … itself when told to."""
        standalone.send_signal(signum)

    signal.signal(signal.SIGINT, forward)
    signal.signal(signal.SIGTERM, forward)
    # wait on standalone; once it has written the password file, say where to sign in
    while standalone.poll() is None:
        password = _password(passwords)
        if password is not None:
            print(
                f"\n  readiness: Airflow UI at {base}  user admin  "
                f"password {password}  (kept in {passwords})\n",
                flush=True,
            )
            break
        with contextlib.suppress(subprocess.TimeoutExpired):
            standalone.wait(timeout=1)
    sys.exit(standalone.wait())


if __name__ == "__main__":
    main()

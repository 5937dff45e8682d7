"""The issue's 20 self-granted waivers, in real Airflow: left without effect, then granted by a
second Airflow user, with pictures and the history rows the grants left.

``python scripts/exemptions_demo.py [--out docs/img]``  (``make exemptions-demo``)

A throwaway PostgreSQL and a real api-server, scheduler and dag-processor
(``readiness_airflow.cluster``) serve a copy of maintenance-service's spec that asks for 20
waivers until 2999-12-31 and for CUT2 not to apply, on the living feed. The script runs the
service, lets ``readiness__exemptions`` open the approvals, and has ``security-lead`` grant
each one for 90 days through the REST API (the requester, ``ops-lead``, could not). Chromium
renders the Required Actions page before the answers and the service page after them,
through a second api-server on the same metadata DB in all-admins mode (a read-only view for
the pictures; the answers go through the first, where each user signs in). Everything it
started is stopped when it ends, fails or is interrupted."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "plugins"))
sys.path.insert(0, str(ROOT / "scripts"))

from screenshot import capture  # noqa: E402

from readiness.history import open_history  # noqa: E402
from readiness.testing.postgres import throwaway_postgres  # noqa: E402
from readiness_airflow.cluster import BIN, Cluster, free_port, local_cluster  # noqa: E402

MNT = "maintenance-service"
DAG, EXEMPTIONS = f"readiness__{MNT}", "readiness__exemptions"
OPS, SEC = "ops-lead@example.com", "security-lead@example.com"
WAIVED = [
    "STO7", "SEC3", "SEC10", "SEC-SO", "SYN2", "SYN-SO", "AI-SO", "OPS2", "OPS5", "OPS-SO",
    "CMP6", "CMP-SO", "CAP2", "CAP5", "CAP-SO", "COM1", "COM3", "COM4", "COM-SO", "CUT1",
]  # fmt: skip


def _spec(folder: Path) -> None:
    spec = yaml.safe_load((ROOT / "services" / f"{MNT}.yaml").read_text())
    spec["waivers"] = [
        {"item": i, "reason": "we say so", "approver": "me", "expires": "2999-12-31",
         "requested_by": OPS}
        for i in WAIVED
    ]  # fmt: skip
    spec["overrides"]["CUT2"] = {
        "not_applicable": "we say so",
        "expires": "2999-12-31",
        "requested_by": OPS,
    }
    folder.mkdir(parents=True)
    (folder / f"{MNT}.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))


@contextlib.contextmanager
def viewer(cluster: Cluster) -> Iterator[str]:
    """A second api-server on the cluster's metadata DB, every visitor an admin: what
    Chromium, which cannot sign in, renders."""
    port = free_port()
    env = {**cluster.env, "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True"}
    env["AIRFLOW__API__BASE_URL"] = f"http://127.0.0.1:{port}"
    with (cluster.home / "viewer.log").open("wb") as log:
        server = subprocess.Popen(
            [str(BIN / "airflow"), "api-server", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        cluster.wait(
            "the viewer api-server",
            lambda: urllib.request.urlopen(f"{base}/api/v2/monitor/health", timeout=5),
            120,
        )
        yield base
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)


def _run(cluster: Cluster, dag_id: str, run_id: str) -> None:
    # the next whole second: the as-of is stamped in seconds and must follow every answer
    at = (datetime.now(UTC) + timedelta(seconds=1)).replace(microsecond=0)
    cluster.trigger(dag_id, run_id, at.strftime("%Y-%m-%dT%H:%M:%SZ"))
    state = cluster.finished_run(dag_id, run_id, 600)["state"]
    if state != "success":
        raise SystemExit(f"{dag_id} {run_id}: {state}\n{cluster.tail()}")


def _snapshot(cluster: Cluster) -> Any:
    return open_history(cluster.history_url, str(ROOT)).snapshot(MNT)


def _approvals(cluster: Cluster, count: int) -> list[dict[str, Any]]:
    def ready() -> list[dict[str, Any]] | None:
        found = cluster.call("GET", f"/api/v2/dags/{EXEMPTIONS}/dagRuns/~/hitlDetails?limit=200")
        waiting = [
            d for d in found["hitl_details"] if d["task_instance"]["state"] == "awaiting_input"
        ]
        return waiting if len(waiting) >= count else None

    found: list[dict[str, Any]] = cluster.wait(f"{count} approvals", ready, 600)
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the cluster on the way out
    with tempfile.TemporaryDirectory(prefix="readiness-exemptions-") as tmp:
        home = Path(tmp) / "airflow"
        _spec(Path(tmp) / "services")
        env = {
            "READINESS_SERVICES": str(Path(tmp) / "services"),
            "READINESS_EVIDENCE_ROOT": f"samplefeed://{tmp}/evidence",
            "READINESS_EXEMPTIONS_ROOT": f"samplegrants://{tmp}/exemptions",
        }
        users = {OPS: "user", SEC: "user", "sre-lead@example.com": "user"}
        with (
            throwaway_postgres() as pg,
            local_cluster(pg, home, ROOT, extra_env=env, users=users) as cluster,
        ):
            cluster.wait("the DAGs", lambda: cluster.dag_parsed(EXEMPTIONS), 300)
            cluster.wait("the service DAG", lambda: cluster.dag_parsed(DAG), 120)
            _run(cluster, DAG, "before-grants")
            before = _snapshot(cluster)
            print(f"before: {MNT} {before.achieved_level} of {before.target_level}; "
                  f"{sum(1 for e in before.exemptions if e['state'] == 'requested')} "
                  "exemptions requested, none granted")  # fmt: skip
            cluster.trigger(EXEMPTIONS, "demo", datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
            approvals = _approvals(cluster, 21)
            with viewer(cluster) as base:
                capture(f"{base}/required_actions", args.out / "exemptions-required-actions.png",
                        1600, 1000, wait_ms=20_000)  # fmt: skip
                print(f"wrote {args.out / 'exemptions-required-actions.png'}")
                token = cluster.token_for(SEC)
                until = (datetime.now(UTC).date() + timedelta(days=90)).isoformat()
                for detail in approvals:
                    ti = detail["task_instance"]
                    cluster.call(
                        "PATCH",
                        f"/api/v2/dags/{EXEMPTIONS}/dagRuns/{ti['dag_run_id']}/taskInstances/"
                        f"{ti['task_id']}/{ti['map_index']}/hitlDetails",
                        {"chosen_options": ["Grant"],
                         "params_input": {"until": until, "comment": "granted for the cutover"}},
                        token=token,
                    )  # fmt: skip
                cluster.wait(
                    "the answers to be recorded",
                    lambda: all(
                        r["state"] == "success"
                        for r in cluster.call("GET", f"/api/v2/dags/{EXEMPTIONS}/dagRuns")[
                            "dag_runs"
                        ]
                    ),
                    600,
                )
                _run(cluster, DAG, "after-grants")
                after = _snapshot(cluster)
                print(f"after: {MNT} {after.achieved_level} of {after.target_level}; "
                      f"{sum(1 for e in after.exemptions if e['state'] == 'granted')} "
                      f"granted by {SEC}")  # fmt: skip
                capture(f"{base}/readiness/services/{MNT}", args.out / "exemptions-service.png",
                        1600, 1400, wait_ms=3_000)  # fmt: skip
                print(f"wrote {args.out / 'exemptions-service.png'}")
            history = open_history(cluster.history_url, str(ROOT))
            rows = history.select(
                "SELECT event, actor, item_id, valid_until, source FROM "
                "{dataset}.exemption_events WHERE event IN ('granted', 'asked') "
                "ORDER BY occurred_at, event_id LIMIT 4"
            )
            print("history (exemption_events):")
            for row in rows:
                print("  " + " | ".join(str(row[k]) for k in row))
    return 0


if __name__ == "__main__":
    sys.exit(main())

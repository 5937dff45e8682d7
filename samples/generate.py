"""Regenerate the sample evidence store and sample repositories (deterministic).

The baseline is derived from each checklist item's own expectations (a healthy service),
then the story in samples/README.md is applied on top. Run: .venv/bin/python samples/generate.py
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from readiness.collectors.samples import SampleContext, SampleStore, iso, sample_writers, satisfy
from readiness.spec.loader import parse_checklist, parse_spec, substitute
from readiness.spec.overrides import item_requests

HERE = Path(__file__).parent
ROOT = HERE.parent
TODAY = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)


def baseline(service: str, checklist_file: str, spec_file: str) -> SampleStore:
    """A healthy service: each item's collector writes sample evidence its expectations
    accept (``readiness.collectors.samples``)."""
    checklist, problems = parse_checklist(ROOT / "checklists" / checklist_file)
    spec, problems2 = parse_spec(ROOT / "services" / spec_file)
    assert checklist and spec, problems + problems2
    names = {"service": service, **{f"locations.{k}": v for k, v in spec.locations.items()}}
    store = SampleStore(HERE / "evidence" / service)
    options = {"coverage_format": "lcov" if service == "maintenance-service" else "cobertura"}
    context = SampleContext(service, dict(spec.locations), TODAY, store, options)
    writers = sample_writers(context)
    for item in checklist.items:
        writer = writers.get(item.evidence.kind)
        if writer is not None:
            params = substitute(item.evidence.params, names)
            writer.add_item(item, params, satisfy(item.expectations))
    for writer in writers.values():
        writer.write(store)
    return store


def request_id(checklist_file: str, spec_file: str, item: str) -> str:
    """The id of the exemption the spec requests for ``item`` (a digest of the request)."""
    checklist, _ = parse_checklist(ROOT / "checklists" / checklist_file)
    spec, _ = parse_spec(ROOT / "services" / spec_file)
    assert checklist and spec
    return next(r.id for r in item_requests(checklist, spec) if r.item == item)


def grant(store: SampleStore, path: str, record: dict[str, Any]) -> None:
    """A risk-register grant: under the exemptions root (``samples/exemptions``), which the
    compliance team owns, never in the team's own evidence store."""
    service = store.root.name
    register = SampleStore(HERE / "exemptions" / service)
    register.add(path, record)
    register.write()


def drop(store: SampleStore, path_prefix: str, **match: Any) -> None:
    for path in list(store.files):
        if path.startswith(path_prefix):
            store.files[path] = [
                r for r in store.files[path] if not all(r.get(k) == v for k, v in match.items())
            ]
            if not store.files[path]:
                del store.files[path]


def file_storage() -> None:
    s = baseline("file-storage-service", "file-storage-readiness.yaml", "file-storage-service.yaml")
    # RP3: weekly restore drill — passing today, stale a week later, remediated next day
    drop(s, "drill_report/rp3")
    for finished in (
        datetime(2026, 11, 9, 14, tzinfo=UTC),
        datetime(2026, 11, 16, 14, tzinfo=UTC),
        datetime(2026, 11, 27, 15, tzinfo=UTC),
    ):
        s.add(
            f"drill_report/backup-restore-{finished.date()}.json",
            {
                "kind": "backup_restore",
                "scenario": "Cloud SQL PITR restore into staging",
                "environment": "staging",
                "started_at": iso(finished - timedelta(hours=1)),
                "finished_at": iso(finished),
                "outcome": "passed",
                "rto_minutes": 18,
                "rpo_minutes": 2,
                "report_url": "https://drills.example.com/fss/restore",
            },
        )
    # RP4 (L4): the last DR drill is 124 days old -> stale
    drop(s, "drill_report/rp4")
    s.add(
        "drill_report/dr-failover-2026-07-19.json",
        {
            "kind": "dr_failover",
            "scenario": "europe-west1 outage",
            "environment": "production",
            "started_at": "2026-07-19T08:00:00Z",
            "finished_at": "2026-07-19T08:24:00Z",
            "outcome": "passed",
            "rto_minutes": 24,
            "rpo_minutes": 4,
            "report_url": "https://drills.example.com/fss/dr-2026-07",
        },
    )
    # GA4 (L3): only one unannounced game day so far -> fail
    drop(s, "drill_report/ga4")
    s.add(
        "drill_report/game-day-2026-10-02.json",
        {
            "kind": "game_day",
            "scenario": "region failover",
            "environment": "production",
            "announced": False,
            "started_at": "2026-10-02T09:00:00Z",
            "finished_at": "2026-10-02T11:30:00Z",
            "outcome": "passed",
            "rto_minutes": 27,
            "rpo_minutes": 4,
            "report_url": "https://drills.example.com/fss/gd-1",
        },
    )
    # S7 (L3): bounty-hunter scan never ran -> missing
    drop(s, "ci_check", check="bounty-hunter-scan")
    # S8 (L2): Snyk reports 2 high CVEs -> fail, but waived in the risk register
    for r in [r for path, recs in s.files.items() if path.startswith("ci_check/") for r in recs]:
        if r["check"] == "snyk test --prod":
            r.update(status="failed", metrics={"high_cves": 2})
    grant(
        s,
        "waiver/RISK-91.json",
        {
            "item": "S8",
            "reason": "2 high CVEs in sharp (image resize); not reachable from "
            "tenant input, patched release due 2026-12",
            "approver": "security-lead@example.com",
            "granted_at": "2026-11-05T10:00:00Z",
            "expires": "2026-12-15",
            "reference": "RISK-91",
        },
    )
    # DE7 (L3): VPC SC in dry-run, not enforced -> fail
    for r in s.files["config_snapshot/terraform.jsonl"]:
        if r["resource"] == "vpc-service-controls":
            r["settings"]["enforced"] = False
    # SO5 (L3): product owner has not signed -> missing; SO7 signed in Q2 -> expired (stale)
    drop(s, "attestation/SO5")
    for r in s.files["attestation/SO7.jsonl"]:
        r["signed_at"] = "2026-05-11T10:00:00Z"
    # T7 (L4): no chaos (region brownout) report -> missing
    drop(s, "drill_report/t7")
    s.add(
        "cost_report/2026-10.json",
        {
            "metric": "cost_per_file",
            "period_start": "2026-10-01T00:00:00Z",
            "period_end": "2026-10-31T23:59:59Z",
            "actual": 0.00041,
            "forecast": 0.00038,
            "currency": "EUR",
        },
    )
    s.write()


def maintenance() -> None:
    s = baseline("maintenance-service", "maintenance-cutover.yaml", "maintenance-service.yaml")
    # STO7 (L2): DR drill in staging 121 days ago -> stale (holds the service at L1)
    drop(s, "drill_report/sto7")
    s.add(
        "drill_report/dr-staging-2026-07-22.json",
        {
            "kind": "dr_failover",
            "scenario": "staging region evacuation",
            "environment": "staging",
            "started_at": "2026-07-22T07:00:00Z",
            "finished_at": "2026-07-22T08:10:00Z",
            "outcome": "passed",
            "rto_minutes": 41,
            "rpo_minutes": 5,
            "report_url": "https://drills.example.com/mnt/dr-2026-07",
        },
    )
    # SEC3 (L2): one static service-account key still exists -> fail
    for r in s.files["config_snapshot/iam.jsonl"]:
        r["settings"]["user_managed_keys"] = 1
    # OBS4 (L2): alerts without runbook links -> fail, waived: the spec requests a waiver
    # until 2026-12-31 (RISK-118), which sre-lead granted in September; the risk register
    # took RISK-118 on 11-25 and renews it each quarter (the living feed), so the story
    # still holds once the first grant ends on 2026-12-31
    for r in s.files["config_snapshot/alertmanager.jsonl"]:
        r["settings"]["alerts_without_runbook"] = 3
    grant(
        s,
        "grant/RISK-118-request.json",
        {
            "request": request_id("maintenance-cutover.yaml", "maintenance-service.yaml", "OBS4"),
            "item": "OBS4",
            "reason": "granted: the rewrite is planned for Q4 (OPX-412)",
            "approver": "sre-lead@example.com",
            "granted_at": "2026-09-02T09:00:00Z",
            "expires": "2026-12-31",
            "reference": "RISK-118",
        },
    )
    grant(
        s,
        "waiver/RISK-118.json",
        {
            "item": "OBS4",
            "reason": "3 legacy alerts lack runbook links; rewrite tracked in OPX-412",
            "approver": "sre-lead@example.com",
            "granted_at": "2026-11-25T09:00:00Z",
            "expires": "2026-12-31",
            "reference": "RISK-118",
        },
    )
    # CAP2 (L2): no capacity snapshot recorded -> missing
    drop(s, "config_snapshot/cloud_sql", resource="capacity/maintenance-service")
    # SYN2 (L2): the payload-size job wrote a broken record -> error naming the field
    s.files["ci_check/sync-payload.json"] = [
        {
            "check": "sync-pull-payload-size",
            "status": "passed",
            "finished_at": "yesterday",
            "metrics": {"pull_payload_kb": 164},
        }
    ]
    drop(s, "ci_check/2026", check="sync-pull-payload-size")
    # L3: pentest, DPIA, communication and most sign-offs are not there yet
    for item in (
        "SEC10",
        "CMP6",
        "COM1",
        "COM3",
        "COM4",
        "COM-SO",
        "CUT1",
        "CMP-SO",
        "CAP-SO",
        "OPS-SO",
        "AI-SO",
        "SYN-SO",
        "SEC-SO",
    ):
        drop(s, f"attestation/{item}.")
    s.write()


def repos() -> None:
    base = HERE / "repos"
    fss = base / "file-storage-service"
    mnt = base / "maintenance-service"
    files: dict[Path, str] = {}
    docs = [
        "SERVICE_OVERVIEW",
        "DOMAIN_MODEL",
        "FAILURE_MODES",
        "SYNC_CONTRACT",
        "API_CONTRACTS",
        "APPLICATION_LOGIC",
        "DATA_MODEL",
        "DEPLOYMENT_TOPOLOGY",
        "ERROR_CODES",
        "EVENT_SCHEMAS",
        "OBSERVABILITY",
        "SECURITY_MODEL",
        "TESTING_STRATEGY",
        "DoD",
        "SERVICE_RISK_REGISTER",
        "SERVICE_READINESS",
        "RUNBOOK",
    ]
    for name in docs:
        files[fss / f"services/file-storage-service/{name}.md"] = f"# {name}\n\nfile-storage.\n"
        files[mnt / f"services/maintenance-service/{name}.md"] = f"# {name}\n\nmaintenance.\n"
    files[fss / "docs/03-microservices/file-storage-service.md"] = (
        "# file-storage-service\n"
        + "".join(f"- capability {i}: documented behaviour\n" for i in range(1, 171))
    )
    files[fss / "docs/standards/ERROR_CODES.md"] = "| MELMASTOON.FILE.NOT_FOUND | 404 |\n"
    files[fss / "docs/05-api-design.md"] = "Example: GET /v1/files (file-storage)\n"
    files[fss / "docs/architecture/adr-007-blob-store.md"] = "Applies to file-storage.\n"
    files[fss / "src/domain/file.ts"] = (
        "export class InvariantGuard {}\n"
        "// tenant prefix: assertInvariant(key.startsWith(tenant))\n"
    )
    files[fss / "src/api/config.ts"] = "export const bucket = secrets.get('BUCKET_SIGNING_KEY');\n"
    files[fss / "migrations/0001_init.sql"] = (
        "CREATE TABLE media (id text CHECK (id LIKE 'med_%'));\n"
    )
    files[fss / "events/file-storage/file.uploaded.v1.json"] = '{"type": "object"}\n'
    files[fss / "infra/terraform/file-storage/main.tf"] = (
        'resource "google_storage_bucket" "p" {}\n'
    )
    files[fss / "infra/helm/file-storage-service/Chart.yaml"] = "name: file-storage-service\n"
    files[fss / "perf/baseline.json"] = '{"p95_ms": 120}\n'
    files[fss / "runbooks/gdpr-dsr.md"] = "# GDPR DSR\n"
    files[mnt / "docs/README.md"] = "- [maintenance](03-microservices/maintenance-service.md)\n"
    files[mnt / "docs/desktop/README.md"] = "See maintenance-service/SYNC_CONTRACT.md\n"
    files[mnt / "docs/standards/ERROR_CODES.md"] = "| MELMASTOON.MAINTENANCE.VENDOR_NO_SHOW |\n"
    files[mnt / "docs/standards/NAMING.md"] = "| mwo_ | maintenance work order |\n"
    files[mnt / "docs/04-event-driven-architecture.md"] = "| maintenance.work_order.v1 |\n"
    files[mnt / "src/domain/work-order.ts"] = "export interface WorkOrder { id: string }\n"
    files[mnt / "src/application/dispatch.ts"] = (
        "import { WorkOrder } from '../domain/work-order';\n"
    )
    files[mnt / "src/infrastructure/db.ts"] = "// TODO: pool tuning (outside the scanned layers)\n"
    files[mnt / "migrations/0001_init.sql"] = (
        "CREATE TABLE work_orders (cost_micros bigint);\n"
        "CREATE INDEX CONCURRENTLY wo_t ON work_orders (1);\n"
    )
    files[mnt / "runbooks/support/vendor-no-show.md"] = "# Vendor no-show\n"
    files[mnt / "runbooks/support/ooo-not-lifting.md"] = "# OOO not lifting\n"
    files[mnt / "CHANGELOG.md"] = "## Unreleased\n- maintenance-service: work orders GA\n"
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


if __name__ == "__main__":
    for folder in ("evidence", "exemptions", "repos"):
        shutil.rmtree(HERE / folder, ignore_errors=True)
    file_storage()
    maintenance()
    repos()
    print("samples regenerated under", HERE)

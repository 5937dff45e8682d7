"""A small project for the quarterly tests: two services whose sign-offs were signed in
different quarters, evidence in a temporary folder, history in DuckDB."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from readiness.history import RunMeta
from readiness.pipeline.engine import evaluate
from readiness.spec.config import Settings
from readiness.support.timeutil import parse_timestamp

CHECKLIST = """
checklist: mini
title: mini checklist
version: "1"
levels:
  - {id: L0, name: Dev}
  - {id: L1, name: Staging}
  - {id: L2, name: Pilot}
promotion:
  L2: {title: Pilot entry, from: L1, held_for: 28d, criteria: [SO1, SO2]}
sections:
  - id: recovery
    title: Recovery
    required_from: L0
    items:
      - id: RP3
        title: Restore drill
        evidence:
          kind: document
          params: {document: drill_report, where: {kind: backup_restore}, latest: true}
        expectations:
          - expect_column_values_to_be_in_set: {column: outcome, value_set: [passed]}
        max_age: 30d
  - id: signoffs
    title: Sign-offs
    required_from: L1
    items:
      - id: SO1
        title: "Sign-off: tech lead"
        evidence: {kind: attestation, params: {roles: [Tech lead]}}
        expectations: [{expect_column_values_to_not_be_null: {column: signer}}]
      - id: SO2
        title: "Sign-off: SRE and security"
        evidence: {kind: attestation, params: {roles: [SRE, Security]}}
        expectations: [{expect_column_values_to_not_be_null: {column: signer}}]
      - id: SO3
        title: "Sign-off: product"
        evidence: {kind: attestation, params: {roles: [Product]}}
        expectations: [{expect_column_values_to_not_be_null: {column: signer}}]
"""

SPEC = """
service: {name}
owner_team: team-{name}
tracker_team: {team}
target_level: L2
schedule: "@daily"
checklist: mini
waivers:
  - {{item: SO3, reason: "product role vacant", approver: cto@example.com, expires: 2027-02-15}}
"""


def write_json(path: Path, record: dict[str, object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record))


def sign(store: Path, item: str, role: str, when: str) -> None:
    write_json(
        store / "attestation" / f"{item}-{role}-{when[:10]}.json",
        {
            "item": item,
            "role": role,
            "signer": f"{role.lower().replace(' ', '.')}@example.com",
            "signed_at": when,
            "statement": f"{role} reviewed {item}",
        },
    )


def drill(store: Path, day: str, outcome: str = "passed") -> None:
    write_json(
        store / "drill_report" / f"restore-{day}.json",
        {
            "kind": "backup_restore",
            "environment": "staging",
            "started_at": f"{day}T08:00:00Z",
            "finished_at": f"{day}T09:00:00Z",
            "outcome": outcome,
            "rto_minutes": 20,
            "rpo_minutes": 2,
            "report_url": "https://drills.example.com/r",
        },
    )


def grant_requests(root: Path) -> None:
    """The CTO granted each spec's SO3 waiver request on 2026-07-01, outside Airflow: a grant
    document under the exemptions root (the mini checklist sets no approvers or length)."""
    from readiness.spec.loader import load_catalog
    from readiness.spec.overrides import item_requests

    catalog = load_catalog([root / "checklists"], [root / "services"])
    for name, spec in catalog.specs.items():
        for request in item_requests(catalog.checklist_for(spec), spec):
            write_json(
                root / "exemptions" / name / "grant" / f"{request.id}.json",
                {
                    "request": request.id,
                    "item": request.item,
                    "reason": "granted while the product role is vacant",
                    "approver": "cto@example.com",
                    "granted_at": "2026-07-01T09:00:00Z",
                    "expires": request.until.isoformat() if request.until else "2027-02-15",
                },
            )


def make_project(root: Path, services: dict[str, str] | None = None) -> Settings:
    """``services``: name → Linear team key. Every service starts with the same evidence:
    SO1 signed in 2026Q3 (expires 2026-12-31), SO2 signed in 2026Q4 (counts until
    2027-03-31), SO3 unsigned but waived until 2027-02-15, and monthly restore drills."""
    services = services or {"alpha": "ALP", "beta": "BET"}
    (root / "checklists").mkdir(parents=True, exist_ok=True)
    (root / "checklists" / "mini.yaml").write_text(CHECKLIST)
    (root / "services").mkdir(exist_ok=True)
    for name, team in services.items():
        (root / "services" / f"{name}.yaml").write_text(SPEC.format(name=name, team=team))
        store = root / "evidence" / name
        sign(store, "SO1", "Tech lead", "2026-09-10T10:00:00Z")
        sign(store, "SO2", "SRE", "2026-10-20T10:00:00Z")
        sign(store, "SO2", "Security", "2026-11-03T10:00:00Z")
        for day in ("2026-09-25", "2026-10-25", "2026-11-25", "2026-12-20"):
            drill(store, day)
    grant_requests(root)
    return Settings(
        project_root=root,
        evidence_root=str(root / "evidence"),
        exemptions_root=str(root / "exemptions"),
        history=f"duckdb://{root}/history.duckdb",
        outbox=str(root / "outbox"),
        reports=str(root / "reports"),
        collect_workers=1,
        live_sources="false",
    )


#: Weekly runs across 2026Q4; alpha's restore drill fails in November and is fixed a week
#: later; beta's drill is not repeated in December, so it goes stale and stays failing.
DATES = [
    "2026-10-05",
    "2026-10-19",
    "2026-11-02",
    "2026-11-09",
    "2026-11-16",
    "2026-11-30",
    "2026-12-14",
    "2026-12-28",
]


def simulate_quarter(root: Path, **chosen: Any) -> Settings:
    """The quarter's runs, on the history ``chosen`` names (DuckDB under ``root`` if none)."""
    settings = dataclasses.replace(make_project(root), **chosen)
    alpha, beta = root / "evidence" / "alpha", root / "evidence" / "beta"
    drill(alpha, "2026-11-06", outcome="failed")  # alpha fails from 11-09 until the 11-13 drill
    drill(alpha, "2026-11-13")
    for path in (beta / "drill_report").glob("restore-2026-1[12]-*.json"):
        path.unlink()  # beta: no drill after October -> stale from late November
    sign(beta, "SO1", "Tech lead", "2026-11-20T09:00:00Z")  # beta renews in Q4
    for day in DATES:
        evaluate(
            settings,
            as_of=parse_timestamp(f"{day}T06:00:00Z"),
            meta=RunMeta(run_key=day, trigger="scheduled"),
        )
    evaluate(
        settings,
        as_of=parse_timestamp("2027-01-01T06:00:00Z"),
        meta=RunMeta(run_key="quarterly:2027Q1", trigger="quarterly"),
    )
    return settings

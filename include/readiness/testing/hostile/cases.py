"""The hostile inputs: what a service team (or anyone who can write its spec, its evidence
store or its repository) can put in front of the pipeline, one case per way in. Each case
plants its input in a fresh copy of the project and names the refusal it expects: the
message ``readiness check`` prints, or the reason the run gives the item it aimed at."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from readiness.testing.hostile.project import MNT, Project


@dataclass(frozen=True)
class Hostile:
    name: str
    #: where the refusal shows: ``check`` (exit 1, and the run skips the spec), ``run``
    #: (the item's reason), or ``page`` (the service page renders no such link)
    refused_by: str
    expect: str
    plant: Callable[[Project], object]
    item: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    service: str = MNT


def _spec_edit(
    edit: Callable[[dict[str, Any]], None], service: str = MNT
) -> Callable[[Project], None]:
    def plant(project: Project) -> None:
        spec = project.spec(service)
        edit(spec)
        project.save_spec(service, spec)

    return plant


def _evidence_of(spec: dict[str, Any]) -> dict[str, Any]:
    evidence: dict[str, Any] = spec.setdefault("evidence", {})
    return evidence


#: What keeps maintenance-service below L3 on the story's day: the issue's 20 waivers.
BLOCKERS = (
    "STO7", "SEC3", "SEC10", "SEC-SO", "SYN2", "SYN-SO", "AI-SO", "OPS2", "OPS5", "OPS-SO",
    "CMP6", "CMP-SO", "CAP2", "CAP5", "CAP-SO", "COM1", "COM3", "COM4", "COM-SO", "CUT1",
)  # fmt: skip


def _self_granted(spec: dict[str, Any]) -> None:
    spec["waivers"] = [
        {"item": i, "reason": "we say so", "approver": "me", "expires": "2999-12-31"}
        for i in BLOCKERS
    ]
    spec["overrides"]["CUT2"] = {
        "not_applicable": "we say so",
        "approver": "me",
        "expires": "2999-12-31",
    }


def _alias_bomb(project: Project) -> None:
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for n in range(1, 7):
        prev = f"*a{n - 1}"
        levels.append(f"a{n}: &a{n} [{', '.join([prev] * 10)}]")
    text = project.spec(MNT)
    body = "\n".join(levels)
    project.write(
        f"services/{MNT}.yaml",
        f"{body}\nservice: {MNT}\nowner_team: *a6\n" + _rest(text),
    )


def _rest(spec: dict[str, Any]) -> str:
    import yaml

    return yaml.safe_dump({k: v for k, v in spec.items() if k not in ("service", "owner_team")})


def _huge_spec(project: Project) -> None:
    import yaml

    spec = project.spec(MNT)
    project.write(
        f"services/{MNT}.yaml",
        yaml.safe_dump(spec, sort_keys=False) + "# " + "x" * 1_100_000 + "\n",
    )


def _credential_on_probe(project: Project) -> None:
    """The platform's checklist sends a credential to DEP5's probes; the team's spec then
    points base_url at a host of its choosing, over plain http."""
    checklist = project.root / "checklists" / "maintenance-cutover.yaml"
    text = checklist.read_text()
    old = (
        '{kind: http_probe, params: {urls: ["${locations.base_url}/healthz", '
        '"${locations.base_url}/readyz"]}}'
    )
    assert old in text
    new = old.replace("]}}", "], credential: status}}")
    project.write("checklists/maintenance-cutover.yaml", text.replace(old, new))
    spec = project.spec(MNT)
    _evidence_of(spec)["locations"]["base_url"] = "http://collector.attacker.example"
    project.save_spec(MNT, spec)


def _loosened_as_text(project: Project) -> None:
    """The checklist lets a service shorten SEC9's sign-off validity (``max``); the spec
    lengthens it with a value that sorts lower as text."""
    checklist = project.root / "checklists" / "maintenance-cutover.yaml"
    old = "evidence: {kind: attestation, params: {roles: [Security], valid_for: 365d}}\n"
    text = checklist.read_text()
    assert old in text
    new = old + "        overridable: {params: {valid_for: max}}\n"
    project.write("checklists/maintenance-cutover.yaml", text.replace(old, new, 1))
    spec = project.spec(MNT)
    spec.setdefault("overrides", {})["SEC9"] = {"params": {"valid_for": "1000d"}}
    project.save_spec(MNT, spec)


def _drill(_project: Project) -> str:
    return json.dumps(
        {
            "kind": "dr_failover",
            "scenario": "staging region evacuation",
            "environment": "staging",
            "started_at": "2026-11-18T07:00:00Z",
            "finished_at": "2026-11-18T08:00:00Z",
            "outcome": "passed",
            "rto_minutes": 30,
            "rpo_minutes": 2,
            "report_url": "https://drills.example.com/borrowed",
        }
    )


def _fifo(project: Project) -> None:
    folder = project.root / STORE / "drill_report"
    folder.mkdir(parents=True, exist_ok=True)
    os.mkfifo(folder / "pipe.json")


STORE = f"evidence/{MNT}"
REPO = f"samples/repos/{MNT}"

CASES: tuple[Hostile, ...] = (
    Hostile(
        "a waiver reference that is a path (../../../../<canary>)",
        "check",
        "waivers[0].reference",
        _spec_edit(lambda s: s["waivers"][0].update(reference="../../../../outside/canary")),
    ),
    Hostile(
        "20 waivers the team grants itself until 2999-12-31, and CUT2 not applicable",
        "run",
        "requested by team:ops-experience, not granted",
        _spec_edit(_self_granted),
        item="SEC3",
    ),
    Hostile(
        "a YAML alias bomb of about 600 bytes", "check", "YAML aliases expand to over", _alias_bomb
    ),
    Hostile("a spec over 1,000,000 bytes", "check", "over 1,000,000 bytes", _huge_spec),
    Hostile(
        "a spec that is a link to /dev/zero",
        "check",
        "expected a regular file",
        lambda p: p.link(f"services/{MNT}.yaml", "/dev/zero"),
    ),
    Hostile(
        "a threshold loosened as text (valid_for: 1000d sorts below 365d)",
        "check",
        "may only be lowered",
        _loosened_as_text,
    ),
    Hostile(
        "a repository at /proc/self",
        "check",
        "outside the repository roots",
        _spec_edit(lambda s: _evidence_of(s).update(repo="/proc/self")),
    ),
    Hostile(
        "another service's evidence as its own",
        "check",
        f"is not {MNT}'s own store",
        _spec_edit(lambda s: _evidence_of(s).update(store="evidence/file-storage-service")),
    ),
    Hostile(
        "a bucket nobody allowed",
        "check",
        f"is not {MNT}'s own store",
        _spec_edit(lambda s: _evidence_of(s).update(store=f"gs://someone-elses-bucket/{MNT}")),
    ),
    Hostile(
        "a checklist credential sent to a host the spec picks, over http",
        "check",
        "credential 'status' is sent over https only",
        _credential_on_probe,
        settings={"credential_hosts": {"status": ["maintenance.internal.example.com"]}},
    ),
    Hostile(
        "a javascript: base URL on the service page",
        "page",
        "javascript:",
        _spec_edit(
            lambda s: _evidence_of(s)["locations"].update(
                base_url="javascript:alert(document.domain)//"
            )
        ),
    ),
    Hostile(
        "a link in the evidence store to a passing drill outside it",
        "run",
        "is a link out of",
        lambda p: p.link(
            f"{STORE}/drill_report/dr-borrowed.json", p.outside("drill.json", _drill(p))
        ),
        item="STO7",
    ),
    Hostile(
        "a link in the evidence store to /dev/zero",
        "run",
        "is a link out of",
        lambda p: p.link(f"{STORE}/drill_report/zero.json", "/dev/zero"),
        item="STO7",
    ),
    Hostile(
        "a FIFO in the evidence store",
        "run",
        "is not a regular file",
        _fifo,
        item="STO7",
    ),
    Hostile(
        "an evidence document over max_document_bytes",
        "run",
        "(setting max_document_bytes)",
        lambda p: p.write(f"{STORE}/drill_report/huge.json", " " * 300_000 + _drill(p)),
        item="STO7",
        settings={"max_document_bytes": 200_000},
    ),
    Hostile(
        "a repository file that is a link out of the repository",
        "run",
        "resolves outside the repository root",
        lambda p: p.link(f"{REPO}/runbooks/support/vendor-no-show.md", "/etc/hostname"),
        item="OPS5",
    ),
    Hostile(
        "a repository file over max_document_bytes",
        "run",
        "(setting max_document_bytes)",
        lambda p: p.write(f"{REPO}/runbooks/support/vendor-no-show.md", "# runbook\n" * 30_000),
        item="OPS5",
        settings={"max_document_bytes": 200_000},
    ),
    Hostile(
        "a failpoint armed in a production environment",
        "run",
        "",
        lambda p: None,
        env={"READINESS_FAILPOINT": "before-record"},
    ),
)

"""A verdict: the signed statement of what one evaluation decided, and on what.

One in-toto Statement (v1) per recorded evaluation, canonicalised with RFC 8785 so its
sha256 is the same on every machine. Its predicate names the checklist and spec by sha256,
the exemptions in force with who granted them, each item's status and the evidence it was
given (URI, sha256, ``observed_at``, and the evidence archive's digest of the exact record
scored), the level, and the sha256 of the service's previous verdict: the verdicts of a
service form one chain, numbered from 1, so a removed, edited or reordered verdict breaks
it. A re-run of the same run id appends a verdict that names the one it ``supersedes``."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import rfc8785

from readiness.domain.model import ServiceEvaluation

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "urn:readiness:verdict:v1"


def canonical(value: Any) -> bytes:
    """RFC 8785 (JCS) bytes of a JSON value: sorted keys, no whitespace, exact numbers."""
    return rfc8785.dumps(value)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _ts(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


@dataclass(frozen=True)
class ChainLink:
    """Where a new verdict goes in its service's chain."""

    sequence: int
    previous: str | None = None
    #: the verdict of the same run id this one replaces (an idempotent re-run)
    supersedes: str | None = None


def exemptions_in_force(ev: ServiceEvaluation) -> list[dict[str, Any]]:
    """Each exemption that changed the rules of this evaluation, with its grant."""
    out = []
    for state in ev.exemptions:
        if not state.in_force:
            continue
        r, d = state.request, state.decision
        out.append(
            {
                "request": r.id,
                "kind": r.kind,
                "item": r.item or None,
                "change": r.change or None,
                "requested_by": r.requested_by or None,
                "granted_by": d.by if d else None,
                "granted_at": _ts(d.at) if d else None,
                "until": d.until.isoformat() if d and d.until else None,
                "source": d.source if d else None,
            }
        )
    return sorted(out, key=lambda e: str(e["request"]))


def statement(
    ev: ServiceEvaluation,
    link: ChainLink,
    archived: Mapping[str, str] | None = None,
    inputs: str | None = None,
) -> dict[str, Any]:
    """The in-toto Statement of one evaluation. ``archived`` maps item ids to the evidence
    archive's digest of the record each was scored on; ``inputs`` is the archive's digest of
    what scoring was given besides (exemptions, prior states)."""
    archived = archived or {}
    items = []
    subjects: dict[tuple[str, str], dict[str, Any]] = {}
    for r in sorted(ev.items, key=lambda r: r.item.id):
        e = r.evidence
        evidence = None
        if e is not None:
            evidence = {
                "uri": e.uri,
                "sha256": e.sha256,
                "observed_at": _ts(e.observed_at),
                "archived": archived.get(r.item.id),
            }
            if e.uri and e.sha256:
                subjects[(e.uri, e.sha256)] = {"name": e.uri, "digest": {"sha256": e.sha256}}
        entry = {
            "id": r.item.id,
            "required_from": r.required_from,
            "status": r.status.value,
            "effective_status": r.effective_status.value,
            "reason": r.reason,
            "evidence": evidence,
        }
        if r.item.required_until:  # only when set: earlier verdicts keep their bytes
            entry["required_until"] = r.item.required_until
        items.append(entry)
    checklist, spec = ev.checklist, ev.spec
    own = [
        {"name": f"checklist:{checklist.id}", "digest": {"sha256": checklist.sha256}},
        {"name": f"spec:{spec.file}", "digest": {"sha256": spec.sha256}},
    ]
    return {
        "_type": STATEMENT_TYPE,
        "subject": own + [subjects[k] for k in sorted(subjects)],
        "predicateType": PREDICATE_TYPE,
        "predicate": {
            "service": ev.service,
            "sequence": link.sequence,
            "previous": link.previous,
            "supersedes": link.supersedes,
            "run": {"id": ev.run_id, "as_of": _ts(ev.evaluated_at)},
            "checklist": {
                "id": checklist.id,
                "version": checklist.version,
                "sha256": checklist.sha256,
            },
            "held_checklist": ev.held_checklist,
            "spec": {"file": spec.file, "sha256": spec.sha256},
            "target_level": ev.target_level,
            "achieved_level": ev.achieved_level,
            "exemptions": exemptions_in_force(ev),
            "items": items,
            "inputs": inputs,
        },
    }


@dataclass(frozen=True)
class Verdict:
    """One verdict as history stores it: the envelope and the columns it is found by."""

    service: str
    sequence: int
    run_id: str
    evaluated_at: datetime
    sha256: str
    previous: str | None
    supersedes: str | None
    key_id: str
    achieved_level: str
    envelope: dict[str, Any]
    #: when it was signed and recorded (the predicate's ``signed_at``)
    recorded_at: datetime | None = None

    @property
    def reference(self) -> str:
        """How people name a verdict: ``service#sequence sha256:…``."""
        return f"{self.service}#{self.sequence} sha256:{self.sha256}"

    def row(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "sequence": self.sequence,
            "run_id": self.run_id,
            "evaluated_at": self.evaluated_at,
            "verdict_sha256": self.sha256,
            "previous_sha256": self.previous,
            "supersedes_sha256": self.supersedes,
            "key_id": self.key_id,
            "achieved_level": self.achieved_level,
            "envelope": json.dumps(self.envelope, sort_keys=True, separators=(",", ":")),
            "recorded_at": self.recorded_at,
        }

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Verdict:
        raw = row["envelope"]
        try:  # an edited row is a broken record for ``verify`` to name, not a crash
            envelope = json.loads(raw) if isinstance(raw, str) else dict(raw or {})
        except (ValueError, TypeError):
            envelope = {}
        if not isinstance(envelope, dict):
            envelope = {}
        return cls(
            service=row["service"],
            sequence=int(row["sequence"] or 0),
            run_id=row["run_id"],
            evaluated_at=row["evaluated_at"],
            sha256=row["verdict_sha256"],
            previous=row["previous_sha256"],
            supersedes=row["supersedes_sha256"],
            key_id=row["key_id"],
            achieved_level=row["achieved_level"],
            envelope=envelope,
            recorded_at=row.get("recorded_at"),
        )


def next_link(head: tuple[int, str] | None, replaced: str | None = None) -> ChainLink:
    """The link after the chain's head (its sequence and sha256); ``replaced`` is the
    latest verdict already recorded for the same run id, which the new one supersedes."""
    if head is None:
        return ChainLink(1, None, replaced)
    return ChainLink(head[0] + 1, head[1], replaced)

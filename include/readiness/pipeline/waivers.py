"""Waivers in force for a run: the spec's, plus waiver documents the risk register
exports into the store."""

from __future__ import annotations

import logging
from datetime import datetime

from readiness.domain.model import (
    Checklist,
    ServiceSpec,
    Waiver,
)
from readiness.evidence.documents import DocumentError, load_documents
from readiness.evidence.store import (
    EvidenceStore,
    StoreUnavailable,
)

log = logging.getLogger(__name__)


def waivers_for(
    spec: ServiceSpec, store: EvidenceStore, as_of: datetime, checklist: Checklist | None = None
) -> tuple[list[Waiver], list[str]]:
    """Waivers from the spec plus waiver documents in the store (risk register exports).
    A document whose approver the checklist's ``exemptions.approvers`` does not name is
    not applied, and says so (the spec's own were refused when it loaded)."""
    waivers = list(spec.waivers)
    warnings: list[str] = []
    severity = {item.id: item.severity for item in checklist.items} if checklist else {}
    try:
        for doc in load_documents(store, "waiver", "waiver/**/*"):
            if doc.timestamp > as_of:
                continue
            from datetime import date

            record = doc.record
            if checklist is not None:
                rule = checklist.exemptions.rule(severity.get(record["item"], ""))
                if not rule.allows(record["approver"]):
                    warnings.append(
                        f"{spec.service}: waiver {doc.uri} not applied: {record['approver']!r} "
                        f"may not grant exemptions from checklist {checklist.id} (expected one "
                        f"of {list(rule.approvers)})"
                    )
                    continue
            waivers.append(
                Waiver(
                    item=record["item"],
                    reason=record["reason"],
                    approver=record["approver"],
                    expires=date.fromisoformat(record["expires"]),
                    reference=record.get("reference", ""),
                    source=doc.uri,
                    # in force from its start, else from the day it was granted
                    starts=date.fromisoformat(record["starts"])
                    if record.get("starts")
                    else doc.timestamp.date(),
                )
            )
    except (DocumentError, StoreUnavailable) as exc:
        warnings.append(f"{spec.service}: waiver documents not applied: {exc}")
    return waivers, warnings

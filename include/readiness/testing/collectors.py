"""Helpers for the collectors' own tests (not collected by pytest)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from readiness.collectors import CollectContext, CollectRequest
from readiness.domain.model import EvidenceSource, Item, ServiceSpec
from readiness.evidence.store import LocalStore

AS_OF = datetime(2026, 11, 20, 6, tzinfo=UTC)


def request(
    params: dict[str, Any],
    store: Path,
    *,
    repo: Path | None = None,
    roles: tuple[str, ...] = (),
    item_id: str = "X1",
    as_of: datetime = AS_OF,
) -> CollectRequest:
    spec = ServiceSpec(
        service="svc",
        owner_team="t",
        tracker_team="T",
        target_level="L0",
        checklist="c",
        file="svc.yaml",
        sha256="0",
        repo=str(repo) if repo else None,
    )
    item = Item(
        id=item_id,
        title="t",
        section="s",
        section_title="S",
        required_from="L0",
        evidence=EvidenceSource(kind="x", params=params),
        expectations=(),
        signoff_roles=roles,
    )
    return CollectRequest(
        service=spec,
        item=item,
        params=params,
        as_of=as_of,
        store=LocalStore(store),
        project_root=str(store),
        context=CollectContext(repo_roots=(str(repo),) if repo else ()),
    )

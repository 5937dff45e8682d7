"""Sample sign-offs: each role an item asks for, signed mid-October."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from readiness.collectors.samples import NoItems, SampleContext, SampleStore, iso
from readiness.domain.model import Item


class AttestationSample(NoItems):
    def __init__(self, context: SampleContext) -> None:
        self.context = context

    def add_item(self, item: Item, params: dict[str, Any], wanted: dict[str, Any]) -> None:
        service = self.context.service
        for role in params.get("roles") or item.signoff_roles:
            self.context.store.add(
                f"attestation/{item.id}.jsonl",
                {
                    "item": item.id,
                    "role": role,
                    "signer": role.lower().replace(" / ", "-").replace(" ", "-") + "@example.com",
                    "signed_at": iso(datetime(2026, 10, 14, 9, 30, tzinfo=UTC)),
                    "statement": f"Reviewed: {item.title}",
                    "link": f"https://linear.example.com/review/{service}/{item.id}",
                },
            )

    def write(self, store: SampleStore) -> None:
        pass


def sample(context: SampleContext) -> AttestationSample:
    return AttestationSample(context)

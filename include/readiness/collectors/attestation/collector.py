"""The ``attestation`` collector: sign-offs and reviews, one row per required role."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, field_validator

from readiness.collectors import CollectRequest, where_it_goes
from readiness.domain.model import Evidence
from readiness.evidence.documents import Document, DocumentError, load_documents
from readiness.evidence.provenance import combined_sha256
from readiness.evidence.store import StoreUnavailable
from readiness.support.timeutil import attestation_expiry, parse_duration, utcnow

COLUMNS = ("role", "signer", "signed_at", "expires_on", "statement", "link")


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid")

    roles: list[str] | None = None
    item: str | None = None
    valid_for: str | None = None
    path: str = "attestation/**/*"

    @field_validator("valid_for")
    @classmethod
    def _duration(cls, value: str | None) -> str | None:
        if value is not None:
            parse_duration(value)
        return value


def _norm(role: str) -> str:
    return " ".join(role.lower().replace("/", " / ").split())


class AttestationCollector:
    kind: ClassVar[str] = "attestation"
    source: ClassVar[str] = "store"
    outage: ClassVar[str] = "source"
    recorded: ClassVar[str | None] = None
    Params: ClassVar[type[BaseModel]] = Params
    #: Every column its evidence has: ``check`` refuses an expectation on any other.
    columns: ClassVar[tuple[str, ...]] = COLUMNS

    def collect(self, request: CollectRequest) -> Evidence:
        params = Params.model_validate(request.params)
        roles = params.roles or list(request.item.signoff_roles) or ["owner"]
        item_id = params.item or request.item.id
        valid_for = parse_duration(params.valid_for) if params.valid_for else None
        fetched_at = utcnow()
        where_uri = f"{request.store.root}/{params.path}"
        try:
            docs = load_documents(
                request.store,
                "attestation",
                params.path,
                keep=lambda raw: raw.get("item") == item_id,
            )
        except StoreUnavailable as exc:
            return Evidence.failed(where_uri, fetched_at, str(exc), transient=True)
        except DocumentError as exc:
            return Evidence.failed(where_uri, fetched_at, str(exc))
        newest: dict[str, Document] = {}
        for doc in docs:
            if doc.record["item"] != item_id or doc.timestamp > request.as_of:
                continue
            role = _norm(doc.record["role"])
            if role not in newest or doc.timestamp > newest[role].timestamp:
                newest[role] = doc
        rows: list[dict[str, Any]] = []
        used: list[Document] = []
        expiries: list[datetime] = []
        for role in roles:
            signed = newest.get(_norm(role))
            if signed is None:
                rows.append(
                    {
                        "role": role,
                        "signer": None,
                        "signed_at": None,
                        "expires_on": None,
                        "statement": None,
                        "link": None,
                    }
                )
                continue
            used.append(signed)
            expires_on = attestation_expiry(signed.timestamp, valid_for)
            expiries.append(datetime.combine(expires_on + timedelta(days=1), time(), UTC))
            rows.append(
                {
                    "role": role,
                    "signer": signed.record["signer"],
                    "signed_at": signed.timestamp,
                    "expires_on": expires_on.isoformat(),
                    "statement": signed.record["statement"],
                    "link": signed.record.get("link"),
                }
            )
        if not used:
            # the roles go into history too: the quarterly report lists them as unsigned
            return Evidence.missing(
                where_uri,
                fetched_at,
                f"no attestation for {item_id} by {', '.join(roles)}"
                + where_it_goes(request, params.path),
                signed=[],
                unsigned=sorted(roles),
            )
        uris = {d.uri for d in used}
        return Evidence(
            rows=rows,
            columns=COLUMNS,
            uri=next(iter(uris)) if len(uris) == 1 else where_uri,
            sha256=combined_sha256(d.source for d in used),
            sources=tuple(sorted({d.source for d in used})),
            fetched_at=fetched_at,
            observed_at=min(d.timestamp for d in used),
            expires_at=min(expiries),
            summary={
                "signed": sorted(r["role"] for r in rows if r["signer"]),
                "unsigned": sorted(r["role"] for r in rows if not r["signer"]),
            },
        )


COLLECTOR = AttestationCollector()

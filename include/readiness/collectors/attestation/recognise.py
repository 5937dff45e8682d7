"""Sign-offs in a document's words: a "Sign-off: …" line or a sign-off table's row, and the
importer's last resort: an item no collector recognises is attested by the role its text
names, else its section's sign-off roles."""

from __future__ import annotations

from typing import Any

from readiness.collectors.recognise import Guess, Wording


def attested(roles: list[str]) -> dict[str, Any]:
    return {
        "evidence": {"kind": "attestation", "params": {"roles": roles}},
        "expectations": [{"expect_column_values_to_not_be_null": {"column": "signer"}}],
    }


def signoff(w: Wording) -> Guess | None:
    if not w.signoff:
        return None
    return attested(list(w.item_roles or w.section_roles)), ""


def attested_by_someone(w: Wording) -> Guess:
    roles = w.named_roles or list(w.section_roles) or ["Service owner"]
    what = w.evidence_text or w.check or "the document names no evidence"
    why = f"no collector for {what!r}; attested by {', '.join(roles)}"
    return attested(roles), ("" if w.named_roles else why)


RECOGNISERS = [(0, signoff), (1000, attested_by_someone)]

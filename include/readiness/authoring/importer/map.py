"""From an item's words to its evidence: every collector's recognisers are asked in the
order they declare (``readiness.collectors.recognise``), so the importer names no
collector; whatever they guessed carries ``review:``."""

from __future__ import annotations

import re
from typing import Any

from readiness.authoring.importer.model import ImportedItem
from readiness.collectors.recognise import (
    Wording,
    max_age_of,
    recognise,
    roles_named,
    spec_files,
)

__all__ = ["evidence_for", "max_age_of", "required_from_title", "roles_named", "spec_files"]


def evidence_for(item: ImportedItem, section_roles: list[str]) -> tuple[dict[str, Any], str]:
    """The item's evidence and expectations, and why it needs review ('' when it does not).

    Only what the text says is used: a check is named as the document names it, and
    anything guessed (a check name made from the title, a recorded resource, a pattern)
    carries ``review:`` saying so. The attestation collector answers last for any item:
    attested by the role its text names, else its section's."""
    wording = Wording(
        id=item.id,
        title=item.title,
        check=item.check,
        evidence_text=item.evidence_text,
        item_roles=tuple(item.roles),
        section_roles=tuple(section_roles),
        signoff=item.signoff,
    )
    guess = recognise(wording)
    if guess is None:
        raise LookupError(f"no collector recognises item {item.id or item.title!r}")
    return guess


def required_from_title(title: str, levels: list[dict[str, Any]], default: str) -> str:
    for level in levels:
        if re.search(rf"\b{re.escape(level['id'])}\b", title):
            return str(level["id"])
    for level in levels:
        if re.search(rf"\b{re.escape(level['name'])}\b", title.split("(")[0]):
            return str(level["id"])
    return default

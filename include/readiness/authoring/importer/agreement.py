"""How far an imported checklist agrees with a hand-made one (the bench and the tests'
floors)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Agreement:
    """How an imported checklist compares with a hand-made one, item by item (matched by
    id): the share with the same collector (for ``document``, the same document kind) and
    the same ``max_age``."""

    imported: int
    reference: int
    common: int
    same_collector: int
    same_max_age: int

    @property
    def collector_share(self) -> float:
        return self.same_collector / self.common if self.common else 0.0

    @property
    def max_age_share(self) -> float:
        return self.same_max_age / self.common if self.common else 0.0


def agreement(imported: Any, reference: Any) -> Agreement:
    """``imported`` and ``reference`` are loaded ``Checklist`` objects."""

    def collector(item: Any) -> str:
        kind = str(item.evidence.kind)
        return f"document:{item.evidence.params.get('document')}" if kind == "document" else kind

    mine = {i.id: i for i in imported.items}
    theirs = {i.id: i for i in reference.items}
    common = sorted(set(mine) & set(theirs))
    return Agreement(
        imported=len(mine),
        reference=len(theirs),
        common=len(common),
        same_collector=sum(collector(mine[i]) == collector(theirs[i]) for i in common),
        same_max_age=sum(mine[i].max_age == theirs[i].max_age for i in common),
    )

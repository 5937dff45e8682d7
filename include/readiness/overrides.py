"""A service spec's overrides of its checklist's items, applied: the items a service is held
to. Light (model only), so the DAG factory can use it at parse time."""

from __future__ import annotations

from dataclasses import replace

from readiness.model import Checklist, Item, ServiceSpec


def effective_items(checklist: Checklist, spec: ServiceSpec) -> list[tuple[Item, str | None]]:
    """Checklist items with the spec's overrides applied; (item, not-applicable reason)."""
    out: list[tuple[Item, str | None]] = []
    for item in checklist.items:
        override = spec.overrides.get(item.id)
        if override is None:
            out.append((item, None))
            continue
        changed = item
        if override.required_from:
            changed = replace(changed, required_from=override.required_from)
        if override.max_age is not None:
            changed = replace(changed, max_age=override.max_age)
        if override.params:
            changed = replace(
                changed,
                evidence=replace(
                    changed.evidence, params={**changed.evidence.params, **override.params}
                ),
            )
        out.append((changed, override.not_applicable))
    return out


def sources(checklist: Checklist, spec: ServiceSpec, live: bool) -> list[str]:
    """The evidence sources of the applicable items, in checklist order: one collection
    task each."""
    from readiness.collectors import source_of

    found: dict[str, None] = {}
    for item, not_applicable in effective_items(checklist, spec):
        if not_applicable is None:
            found[source_of(item.evidence.kind, live)] = None
    return list(found)

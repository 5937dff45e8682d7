"""A service spec's overrides of its checklist's items: what a spec may change, and the
items a service is held to once they are applied. Light (model only), so the DAG factory
can use it at parse time.

A spec can never weaken the checklist it is held to on its own say-so. It may set a param
the checklist declares ``overridable`` (a location or resource name freely, a threshold only
in the stricter direction), shorten ``max_age`` and move ``required_from`` to an earlier
level. Anything weaker (``not_applicable``, a longer ``max_age``, a later level) needs the
checklist's permission or the authority of a waiver: an approver, a reason and an expiry,
after which it lapses. Every override is described on the item's result, so ``status``, the
quarterly report and the OSCAL export show that a service runs a modified rule."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from readiness.domain.model import Checklist, Item, ItemOverride, ServiceSpec
from readiness.support.timeutil import format_duration, parse_duration

#: The override fields that weaken an item, and the ``overridable`` flag that permits each.
WEAKENING = ("not_applicable", "max_age", "required_from")


def _rank(checklist: Checklist, level: str) -> int:
    return next((lv.rank for lv in checklist.levels if lv.id == level), -1)


def _magnitude(value: Any) -> tuple[str, float] | None:
    """A threshold's kind and value: a number, or a duration (``90d``) in seconds. Text is
    never compared as text: under ``max``, "100d" sorts below "90d"."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return "number", float(value)
    if isinstance(value, str):
        try:
            return "duration", parse_duration(value).total_seconds()
        except ValueError:
            return None
    return None


def _stricter(rule: str, old: Any, new: Any) -> bool:
    """Whether ``new`` is at least as strict as ``old`` under ``rule``; values of different
    kinds (a number against a duration) or of no kind are refused."""
    before, after = _magnitude(old), _magnitude(new)
    if before is None or after is None or before[0] != after[0]:
        return False
    return after[1] >= before[1] if rule == "min" else after[1] <= before[1]


def override_problems(
    checklist: Checklist, item: Item, override: ItemOverride
) -> tuple[list[tuple[str, str]], str]:
    """What is wrong with ``override`` of ``item`` ((field, message) pairs, naming what was
    expected), and what it changes, in words."""
    problems: list[tuple[str, str]] = []
    changes: list[str] = []
    allowed = item.overridable
    for name, value in sorted(override.params.items()):
        rule = allowed.param_rule(name)
        old = item.evidence.params.get(name)
        if rule is None:
            may = ", ".join(n for n, _ in allowed.params) or "none"
            problems.append(
                (
                    f"params.{name}",
                    f"checklist {checklist.id} does not let a service set {name!r} of "
                    f"{item.id}; it may set: {may}",
                )
            )
        elif rule != "any" and not _stricter(rule, old, value):
            direction = "raised" if rule == "min" else "lowered"
            problems.append(
                (
                    f"params.{name}",
                    f"{name} of {item.id} may only be {direction} "
                    f"(checklist: {old!r}); got {value!r}",
                )
            )
        else:
            changes.append(f"{name} {old!r} → {value!r}")
    weaker: list[str] = []
    if override.not_applicable:
        weaker.append("not_applicable")
        changes.append(f"not applicable: {override.not_applicable}")
    if override.max_age is not None:
        before = format_duration(item.max_age) if item.max_age else "none"
        changes.append(f"max_age {before} → {format_duration(override.max_age)}")
        if item.max_age is not None and override.max_age > item.max_age:
            weaker.append("max_age")  # (no max_age in the checklist: any limit is stricter)
    if override.required_from:
        changes.append(f"required from {item.required_from} → {override.required_from}")
        if _rank(checklist, override.required_from) > _rank(checklist, item.required_from):
            weaker.append("required_from")
    unpermitted = [f for f in weaker if not getattr(allowed, f)]
    if unpermitted and not (override.approver and override.expires):
        for name in unpermitted:
            problems.append(
                (
                    name,
                    f"weakens {item.id}, which checklist {checklist.id} does not permit; "
                    "expected an approver and an expiry (and a reason), as for a waiver",
                )
            )
    if unpermitted and override.approver and override.expires:
        changes.append(
            f"approved by {override.approver} until {override.expires.isoformat()}"
            + (f" ({override.reference})" if override.reference else "")
        )
    elif weaker:
        changes.append(f"permitted by checklist {checklist.id}")
    return problems, "; ".join(changes)


def effective_items(
    checklist: Checklist, spec: ServiceSpec, on: date | None = None
) -> list[tuple[Item, str | None]]:
    """Checklist items with the spec's overrides applied; (item, not-applicable reason).
    An approved override that has lapsed by ``on`` is not applied."""
    out: list[tuple[Item, str | None]] = []
    for item in checklist.items:
        override = spec.overrides.get(item.id)
        longest = checklist.exemptions.rule(item.severity).max_days
        if override is None or not override.in_force(on, longest):
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
    # not-applicable items too: an approved override may lapse between two parses
    for item, _not_applicable in effective_items(checklist, spec):
        found[source_of(item.evidence.kind, live)] = None
    return list(found)

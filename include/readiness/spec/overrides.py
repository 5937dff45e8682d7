"""A service spec's overrides of its checklist's items: what a spec may change, and the
items a service is held to once they are applied. Light (model only), so the DAG factory
can use it at parse time.

A spec can never weaken the checklist it is held to on its own say-so. It may set a param
the checklist declares ``overridable`` (a location or resource name freely, a threshold only
in the stricter direction), shorten ``max_age`` and move ``required_from`` to an earlier
level. Anything weaker (``not_applicable``, a longer ``max_age``, a later level) needs the
checklist's permission; without it, the override is an exemption request (a reason and the
time wanted) that applies only once someone the checklist names grants it
(``domain.exemptions``). Every override is described on the item's result, so ``status``,
the quarterly report and the OSCAL export show that a service runs a modified rule."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from readiness.domain.exemptions import ExemptionRequest
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
    if override.not_applicable:
        changes.append(f"not applicable: {override.not_applicable}")
    if override.max_age is not None:
        before = format_duration(item.max_age) if item.max_age else "none"
        changes.append(f"max_age {before} → {format_duration(override.max_age)}")
    if override.required_from:
        changes.append(f"required from {item.required_from} → {override.required_from}")
    weaker = weakened(checklist, item, override)
    unpermitted = [f for f in weaker if not getattr(allowed, f)]
    if unpermitted and not (override.expires and (override.reason or override.not_applicable)):
        for name in unpermitted:
            problems.append(
                (
                    name,
                    f"weakens {item.id}, which checklist {checklist.id} does not permit, so it "
                    "is a request until an approver grants it; expected a reason and expires "
                    "(the last day wanted)",
                )
            )
    if unpermitted and override.expires:
        changes.append(f"requested until {override.expires.isoformat()}")
    elif weaker:
        changes.append(f"permitted by checklist {checklist.id}")
    return problems, "; ".join(changes)


def weakened(checklist: Checklist, item: Item, override: ItemOverride) -> list[str]:
    """The fields of ``override`` that weaken ``item`` (of ``WEAKENING``)."""
    out = []
    if override.not_applicable:
        out.append("not_applicable")
    # no max_age in the checklist: any limit is stricter
    if (
        override.max_age is not None
        and item.max_age is not None
        and override.max_age > item.max_age
    ):
        out.append("max_age")
    if override.required_from and _rank(checklist, override.required_from) > _rank(
        checklist, item.required_from
    ):
        out.append("required_from")
    return out


def unpermitted(checklist: Checklist, item: Item, override: ItemOverride) -> list[str]:
    """The weakening fields the checklist does not let a spec set: each needs a grant."""
    return [f for f in weakened(checklist, item, override) if not getattr(item.overridable, f)]


def requester(spec: ServiceSpec, named: str) -> str:
    """Who asked: the ``requested_by`` the spec names, else the owning team."""
    return named or f"team:{spec.owner_team}"


def item_requests(checklist: Checklist, spec: ServiceSpec) -> list[ExemptionRequest]:
    """What the spec asks that only a grant can give: every waiver, and every override
    that weakens its item beyond what the checklist permits."""
    out = [
        ExemptionRequest(
            service=spec.service,
            item=w.item,
            kind="waiver",
            change=f"waive {w.item}",
            reason=w.reason,
            until=w.expires,
            requested_by=requester(spec, w.requested_by),
            reference=w.reference,
            source=spec.file,
            starts=w.starts,
        )
        for w in spec.waivers
    ]
    for item in checklist.items:
        override = spec.overrides.get(item.id)
        if override is not None and (request := override_request(checklist, spec, item, override)):
            out.append(request)
    return out


def override_request(
    checklist: Checklist, spec: ServiceSpec, item: Item, override: ItemOverride
) -> ExemptionRequest | None:
    fields = unpermitted(checklist, item, override)
    if not fields:
        return None
    return ExemptionRequest(
        service=spec.service,
        item=item.id,
        kind=fields[0],
        change=override.description or ", ".join(fields),
        reason=override.reason or override.not_applicable or "",
        until=override.expires,
        requested_by=requester(spec, override.requested_by),
        reference=override.reference,
        source=spec.file,
    )


def effective_items(
    checklist: Checklist,
    spec: ServiceSpec,
    on: date | None = None,
    granted: frozenset[str] = frozenset(),
) -> list[tuple[Item, str | None]]:
    """Checklist items with the spec's overrides applied; (item, not-applicable reason).
    A weakening the checklist does not permit applies only while its request is in
    ``granted`` (the ids of requests granted and not lapsed); the rest of the override
    (stricter params, a shorter ``max_age``) always applies."""
    out: list[tuple[Item, str | None]] = []
    for item in checklist.items:
        override = spec.overrides.get(item.id)
        if override is None:
            out.append((item, None))
            continue
        request = override_request(checklist, spec, item, override)
        held_back = (
            set(unpermitted(checklist, item, override))
            if request is not None and request.id not in granted
            else set()
        )
        changed = item
        if override.required_from and "required_from" not in held_back:
            changed = replace(changed, required_from=override.required_from)
        if override.max_age is not None and "max_age" not in held_back:
            changed = replace(changed, max_age=override.max_age)
        if override.params:
            changed = replace(
                changed,
                evidence=replace(
                    changed.evidence, params={**changed.evidence.params, **override.params}
                ),
            )
        not_applicable = None if "not_applicable" in held_back else override.not_applicable
        out.append((changed, not_applicable))
    return out


def sources(checklist: Checklist, spec: ServiceSpec, live: bool) -> list[str]:
    """The evidence sources of the applicable items, in checklist order: one collection
    task each."""
    from readiness.collectors import source_of

    found: dict[str, None] = {}
    # not-applicable items too: a request is collected for until it is granted
    for item, _not_applicable in effective_items(checklist, spec):
        found[source_of(item.evidence.kind, live)] = None
    return list(found)

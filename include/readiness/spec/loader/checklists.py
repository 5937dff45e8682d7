"""Checklist files → ``model.Checklist``: items, expectations checked against GX's
signatures, collector params against each kind's model, promotion rules."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

from pydantic import (
    ValidationError,
)

from readiness.collectors import KINDS, get_collector
from readiness.domain.model import (
    Checklist,
    EvidenceSource,
    ExemptionPolicy,
    ExemptionRule,
    Expectation,
    Item,
    Level,
    Overridable,
    PromotionRule,
    Section,
)
from readiness.spec.expectations import check_arguments
from readiness.spec.loader.documents import (
    ChecklistDoc,
    EvidenceDoc,
    ExemptionRuleDoc,
    ItemDoc,
    OverridableDoc,
    SectionDoc,
)
from readiness.spec.loader.placeholders import is_runtime_name, placeholders, substitute
from readiness.spec.loader.yaml_source import Source, read_yaml, structure_problems
from readiness.support.errors import Problem, join_path
from readiness.support.timeutil import parse_duration


def _expectations(
    source: Source, path: str, raw: list[dict[str, dict[str, Any] | None]]
) -> tuple[list[Expectation], list[Problem]]:
    out: list[Expectation] = []
    problems: list[Problem] = []
    for position, entry in enumerate(raw):
        where = f"{path}[{position}]"
        if len(entry) != 1:
            problems.append(
                source.problem(
                    where,
                    "expected exactly one expectation name mapped to its arguments, "
                    f"e.g. {{expect_column_values_to_be_in_set: {{column: outcome, value_set: "
                    f"[passed]}}}}; got keys {sorted(entry)}",
                )
            )
            continue
        ((name, kwargs),) = entry.items()
        kwargs = dict(kwargs or {})
        for message in check_arguments(name, kwargs):
            problems.append(source.problem(join_path(where, name), message))
        out.append(Expectation(type=name, kwargs=kwargs))
    return out, problems


def _check_params(source: Source, path: str, kind: str, params: dict[str, Any]) -> list[Problem]:
    if kind not in KINDS:
        return [
            source.problem(
                join_path(path, "kind"),
                f"unknown evidence kind {kind!r}; expected one of: {', '.join(sorted(KINDS))}",
            )
        ]
    model = get_collector(kind).Params
    # placeholders are resolved per service; check the rest of the shape now
    probe = {k: v for k, v in params.items() if not placeholders(v)}
    try:
        model.model_validate(probe)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            if err["type"] == "missing" and err["loc"] and err["loc"][0] in params:
                continue  # given as a placeholder
            loc = join_path(
                path, "params", *[p if isinstance(p, int) else str(p) for p in err["loc"]]
            )
            problems.append(source.problem(loc, f"{err['msg']} (evidence kind {kind!r})"))
        return problems
    return []


def _check_columns(
    source: Source, path: str, kind: str, expectations: list[Expectation]
) -> list[Problem]:
    """An expectation on a column the collector never emits can never pass: refuse it now,
    not as an ``error`` on every run (the importer once wrote ``line_rate`` for coverage)."""
    columns = getattr(get_collector(kind), "columns", None) if kind in KINDS else None
    if not columns:
        return []
    return [
        source.problem(
            join_path(join_path(path, str(n)), "column"),
            f"evidence kind {kind!r} has no column {e.kwargs['column']!r}; expected one of "
            f"{', '.join(columns)}",
        )
        for n, e in enumerate(expectations)
        if isinstance(e.kwargs.get("column"), str) and e.kwargs["column"] not in columns
    ]


def parse_checklist(path: Path) -> tuple[Checklist | None, list[Problem]]:
    """Load one checklist file; the checklist is None when it has any problem."""
    source, data, problems = read_yaml(path)
    if source is None or data is None:
        return None, problems
    try:
        doc = ChecklistDoc.model_validate(data)
    except ValidationError as exc:
        return None, structure_problems(source, exc)

    levels = tuple(
        Level(
            id=lv.id,
            name=lv.name,
            rank=rank,
            description=lv.description,
            attributes=dict(lv.attributes),
        )
        for rank, lv in enumerate(doc.levels)
    )
    level_ids = [lv.id for lv in levels]
    for position, level_id in enumerate(level_ids):
        if level_ids.index(level_id) != position:
            problems.append(
                source.problem(f"levels[{position}].id", f"duplicate level id {level_id!r}")
            )

    default_max_age = duration_field(source, "defaults.max_age", doc.defaults.max_age, problems)
    for name, template in doc.templates.items():
        where = join_path("templates", name)
        _expectations(source, join_path(where, "expectations"), template.expectations)
        duration_field(source, join_path(where, "max_age"), template.max_age, problems)

    sections: list[Section] = []
    seen_items: dict[str, str] = {}
    seen_sections: set[str] = set()
    for s_pos, sdoc in enumerate(doc.sections):
        s_path = f"sections[{s_pos}]"
        if sdoc.id in seen_sections:
            problems.append(
                source.problem(join_path(s_path, "id"), f"duplicate section id {sdoc.id!r}")
            )
        seen_sections.add(sdoc.id)
        if sdoc.required_from and sdoc.required_from not in level_ids:
            problems.append(
                source.problem(
                    join_path(s_path, "required_from"),
                    f"level {sdoc.required_from!r} does not exist; expected one of {level_ids}",
                )
            )
        items: list[Item] = []
        for i_pos, idoc in enumerate(sdoc.items):
            i_path = f"{s_path}.items[{i_pos}]"
            item = _item(source, i_path, idoc, sdoc, doc, level_ids, default_max_age, problems)
            if idoc.id in seen_items:
                problems.append(
                    source.problem(
                        join_path(i_path, "id"),
                        f"duplicate item id {idoc.id!r} (first at {seen_items[idoc.id]})",
                    )
                )
            else:
                seen_items[idoc.id] = i_path
            if item is not None:
                items.append(item)
        sections.append(
            Section(
                id=sdoc.id,
                title=sdoc.title,
                items=tuple(items),
                signoff_roles=tuple(sdoc.signoff_roles),
            )
        )
    promotions = _promotions(source, doc, level_ids, set(seen_items), problems)
    exemptions = _exemptions(source, doc, problems)
    if problems:
        return None, problems
    return Checklist(
        promotions=promotions,
        exemptions=exemptions,
        id=doc.checklist,
        title=doc.title,
        version=doc.version,
        levels=levels,
        sections=tuple(sections),
        file=source.name,
        sha256=source.sha256,
        source=doc.source,
        description=doc.description,
    ), []


def _promotions(
    source: Source,
    doc: ChecklistDoc,
    level_ids: list[str],
    item_ids: set[str],
    problems: list[Problem],
) -> dict[str, PromotionRule]:
    rules: dict[str, PromotionRule] = {}
    for level, pdoc in doc.promotion.items():
        path = join_path("promotion", level)
        for field_path, value in ((path, level), (join_path(path, "from"), pdoc.from_)):
            if value not in level_ids:
                problems.append(
                    source.problem(
                        field_path, f"level {value!r} does not exist; expected one of {level_ids}"
                    )
                )
        for pos, item_id in enumerate(pdoc.criteria):
            if item_id not in item_ids:
                problems.append(
                    source.problem(
                        f"{join_path(path, 'criteria')}[{pos}]",
                        f"no item {item_id!r} in this checklist",
                    )
                )
        held = duration_field(source, join_path(path, "held_for"), pdoc.held_for, problems)
        rules[level] = PromotionRule(
            level=level,
            title=pdoc.title,
            from_level=pdoc.from_,
            held_for=held,
            criteria=tuple(pdoc.criteria),
            source=pdoc.source,
        )
    return rules


def _exemption_rule(
    source: Source, path: str, rule: ExemptionRuleDoc, base: ExemptionRule, problems: list[Problem]
) -> ExemptionRule:
    where = join_path(path, "max_duration")
    span = duration_field(source, where, rule.max_duration, problems)
    days = base.max_days
    if span is not None:
        days = span.days
        if days < 1 or span != timedelta(days=days):
            problems.append(
                source.problem(
                    where, f"expected whole days, at least 1d; got {rule.max_duration!r}"
                )
            )
    fields = rule.model_fields_set
    return ExemptionRule(
        approvers=tuple(rule.approvers) if "approvers" in fields else base.approvers,
        max_days=days if "max_duration" in fields else base.max_days,
    )


def _exemptions(source: Source, doc: ChecklistDoc, problems: list[Problem]) -> ExemptionPolicy:
    """``exemptions:``: who may grant a waiver or a weakening override, and for how long;
    a severity's rule inherits what it does not say from the checklist's."""
    default = _exemption_rule(source, "exemptions", doc.exemptions, ExemptionRule(), problems)
    severities = {}
    for severity, rule in doc.exemptions.by_severity.items():
        path = join_path("exemptions", "by_severity", severity)
        severities[severity] = _exemption_rule(source, path, rule, default, problems)
    return ExemptionPolicy(default, severities)


def duration_field(
    source: Source, path: str, text: str | None, problems: list[Problem]
) -> timedelta | None:
    if text is None:
        return None
    try:
        return parse_duration(text)
    except ValueError as exc:
        problems.append(source.problem(path, str(exc)))
        return None


def _item(
    source: Source,
    path: str,
    idoc: ItemDoc,
    sdoc: SectionDoc,
    doc: ChecklistDoc,
    level_ids: list[str],
    default_max_age: timedelta | None,
    problems: list[Problem],
) -> Item | None:
    before = len(problems)
    evidence_doc = idoc.evidence
    raw_expectations = idoc.expectations
    max_age_text = idoc.max_age
    if idoc.use is not None:
        template = doc.templates.get(idoc.use)
        if template is None:
            problems.append(
                source.problem(
                    join_path(path, "use"),
                    f"unknown template {idoc.use!r}; expected one of {sorted(doc.templates)}",
                )
            )
            return None
        names = dict(idoc.with_)
        if evidence_doc is None:
            evidence_doc = EvidenceDoc(
                kind=template.evidence.kind, params=substitute(template.evidence.params, names)
            )
        if raw_expectations is None:
            raw_expectations = substitute(template.expectations, names)
        if max_age_text is None:
            max_age_text = template.max_age
        left = {
            n
            for n in placeholders(evidence_doc.params) | placeholders(raw_expectations)
            if not is_runtime_name(n)
        }
        if left:
            problems.append(
                source.problem(
                    join_path(path, "with"),
                    f"template {idoc.use!r} needs values for {sorted(left)}",
                )
            )
    elif idoc.with_:
        problems.append(source.problem(join_path(path, "with"), "'with' needs 'use: <template>'"))
    if evidence_doc is None:
        problems.append(source.problem(path, "expected 'evidence' (or 'use' of a template)"))
    if not raw_expectations:
        problems.append(
            source.problem(
                path, "expected at least one entry in 'expectations' (or 'use' of a template)"
            )
        )
    required_from = idoc.required_from or sdoc.required_from
    if required_from is None:
        problems.append(
            source.problem(
                join_path(path, "required_from"),
                f"required field is missing; expected one of {level_ids}",
            )
        )
    elif required_from not in level_ids:
        problems.append(
            source.problem(
                join_path(path, "required_from"),
                f"level {required_from!r} does not exist; expected one of {level_ids}",
            )
        )
    _check_until(source, path, idoc, required_from, level_ids, problems)
    for n, link in enumerate(idoc.references):
        if not re.match(r"https?://[^\s/]+", link):
            problems.append(
                source.problem(
                    join_path(join_path(path, "references"), str(n)),
                    f"{link[:80]!r} is not an http(s) link",
                )
            )
    expectations: list[Expectation] = []
    if raw_expectations:
        expectations, found = _expectations(
            source, join_path(path, "expectations"), raw_expectations
        )
        problems.extend(found)
    if evidence_doc is not None:
        problems.extend(
            _check_params(
                source, join_path(path, "evidence"), evidence_doc.kind, evidence_doc.params
            )
        )
        problems.extend(
            _check_columns(source, join_path(path, "expectations"), evidence_doc.kind, expectations)
        )
    max_age = duration_field(source, join_path(path, "max_age"), max_age_text, problems)
    if len(problems) > before or evidence_doc is None or required_from is None:
        return None
    return Item(
        id=idoc.id,
        title=idoc.title,
        section=sdoc.id,
        section_title=sdoc.title,
        required_from=required_from,
        evidence=EvidenceSource(kind=evidence_doc.kind, params=dict(evidence_doc.params)),
        expectations=tuple(expectations),
        required_until=idoc.required_until,
        severity=idoc.severity or doc.defaults.severity,
        check=idoc.check,
        max_age=max_age if idoc.max_age or max_age_text else default_max_age,
        signoff_roles=tuple(idoc.signoff_roles),
        runbook=idoc.runbook or doc.defaults.runbook,
        notes=idoc.notes,
        remediation_days=idoc.remediation_days,
        review=idoc.review,
        overridable=_overridable(doc.defaults.overridable, idoc.overridable),
        references=tuple(idoc.references),
    )


def _check_until(
    source: Any,
    path: str,
    idoc: ItemDoc,
    required_from: str | None,
    level_ids: list[str],
    problems: list[Any],
) -> None:
    """``required_until`` names a level at or above ``required_from``."""
    until = idoc.required_until
    if until is None:
        return
    where = join_path(path, "required_until")
    if until not in level_ids:
        problems.append(
            source.problem(where, f"level {until!r} does not exist; expected one of {level_ids}")
        )
    elif required_from in level_ids and level_ids.index(until) < level_ids.index(required_from):
        problems.append(
            source.problem(
                where,
                f"level {until!r} is below required_from {required_from!r}; expected "
                f"{required_from!r} or a level above it",
            )
        )


def _overridable(defaults: OverridableDoc, own: OverridableDoc | None) -> Overridable:
    """The checklist's defaults, widened by the item's own declaration."""
    params = dict(defaults.params)
    if own is not None:
        params.update(own.params)
    return Overridable(
        params=tuple(sorted(params.items())),
        not_applicable=defaults.not_applicable or bool(own and own.not_applicable),
        max_age=defaults.max_age or bool(own and own.max_age),
        required_from=defaults.required_from or bool(own and own.required_from),
    )

"""Service spec files → ``model.ServiceSpec``, and the cross-checks against the checklist
they name."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from pydantic import (
    ValidationError,
)

from readiness.domain.channels import Channels
from readiness.domain.model import (
    Checklist,
    ItemOverride,
    ServiceSpec,
    Waiver,
)
from readiness.spec.loader.checklists import duration_field
from readiness.spec.loader.documents import SpecDoc
from readiness.spec.loader.yaml_source import Source, read_yaml, structure_problems
from readiness.spec.overrides import override_problems
from readiness.support.errors import Problem, join_path


def parse_spec(path: Path) -> tuple[ServiceSpec | None, list[Problem]]:
    """Load one service spec (structure only; :func:`load_catalog` cross-checks it)."""
    source, data, problems = read_yaml(path)
    if source is None or data is None:
        return None, problems
    try:
        doc = SpecDoc.model_validate(data)
    except ValidationError as exc:
        return None, structure_problems(source, exc)
    overrides: dict[str, ItemOverride] = {}
    for item_id, odoc in doc.overrides.items():
        overrides[item_id] = ItemOverride(
            required_from=odoc.required_from,
            max_age=duration_field(
                source, join_path("overrides", item_id, "max_age"), odoc.max_age, problems
            ),
            params=dict(odoc.params),
            not_applicable=odoc.not_applicable,
            reason=odoc.reason,
            expires=odoc.expires,
            reference=odoc.reference,
            requested_by=odoc.requested_by,
        )
    if problems:
        return None, problems
    waivers = tuple(
        Waiver(
            item=w.item,
            reason=w.reason,
            approver="",
            expires=w.expires,
            reference=w.reference,
            source=source.name,
            starts=w.starts,
            requested_by=w.requested_by,
        )
        for w in doc.waivers
    )
    deprecations: tuple[str, ...] = (
        (f"{source.name}: linear_team is deprecated; rename it to tracker_team",)
        if doc.linear_team is not None
        else ()
    )
    named = [f"waivers[{i}]" for i, w in enumerate(doc.waivers) if w.approver] + [
        f"overrides.{item_id}" for item_id, o in doc.overrides.items() if o.approver
    ]
    if named:
        deprecations += (
            f"{source.name}: {', '.join(named)}: approver in a spec grants nothing (a team "
            "cannot approve its own exemption); each is a request until an approver the "
            "checklist names grants it in Airflow or under exemptions_root",
        )
    return ServiceSpec(
        service=doc.service,
        owner_team=doc.owner_team,
        tracker_team=doc.tracker_team or doc.linear_team or "",
        target_level=doc.target_level,
        checklist=doc.checklist,
        file=source.name,
        sha256=source.sha256,
        schedule=doc.schedule,
        description=doc.description,
        owner_links=dict(doc.owner_links),
        evidence_store=doc.evidence.store,
        repo=doc.evidence.repo,
        locations=dict(doc.evidence.locations),
        overrides=overrides,
        waivers=waivers,
        deprecations=deprecations,
        notify=Channels(
            slack=doc.notify.slack,
            email=doc.notify.email.connection if doc.notify.email else None,
            email_to=tuple(doc.notify.email.to) if doc.notify.email else (),
        ),
    ), []


def cross_check(spec: ServiceSpec, checklists: dict[str, Checklist]) -> list[Problem]:
    lines = Source(Path(spec.file)).problem if Path(spec.file).exists() else None

    def problem(path: str, message: str) -> Problem:
        return lines(path, message) if lines else Problem(spec.file, path, message)

    checklist = checklists.get(spec.checklist)
    if checklist is None:
        return [
            problem(
                "checklist",
                f"checklist {spec.checklist!r} does not exist; "
                f"expected one of {sorted(checklists)}",
            )
        ]
    level_ids = [lv.id for lv in checklist.levels]
    item_ids = {item.id for item in checklist.items}
    problems = []
    if spec.target_level not in level_ids:
        problems.append(
            problem(
                "target_level",
                f"level {spec.target_level!r} does not exist "
                f"in {checklist.id}; expected one of {level_ids}",
            )
        )
    for item_id, override in spec.overrides.items():
        if item_id not in item_ids:
            problems.append(
                problem(
                    join_path("overrides", item_id),
                    f"item {item_id!r} is not in checklist {checklist.id}",
                )
            )
        elif override.required_from and override.required_from not in level_ids:
            problems.append(
                problem(
                    join_path("overrides", item_id, "required_from"),
                    f"level {override.required_from!r} does not exist; expected one of {level_ids}",
                )
            )
        else:
            item = next(i for i in checklist.items if i.id == item_id)
            found, description = override_problems(checklist, item, override)
            problems.extend(problem(join_path("overrides", item_id, f), m) for f, m in found)
            spec.overrides[item_id] = replace(override, description=description)
    for position, waiver in enumerate(spec.waivers):
        if waiver.item not in item_ids:
            problems.append(
                problem(
                    f"waivers[{position}].item",
                    f"item {waiver.item!r} is not in checklist {checklist.id}",
                )
            )
    return problems

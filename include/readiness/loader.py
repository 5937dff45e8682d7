"""Load checklists and service specs from YAML, reporting every problem with the file,
the path inside it (``sections[2].items[3].expectations[0]``), the line and what was
expected. One bad file never hides the others: :func:`load_catalog` keeps going."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from readiness.collectors import KINDS, get_collector
from readiness.errors import Problem, join_path
from readiness.expectations import check_arguments
from readiness.model import (
    Checklist,
    EvidenceSource,
    Expectation,
    Item,
    ItemOverride,
    Level,
    PromotionRule,
    Section,
    ServiceSpec,
    Severity,
    Waiver,
)
from readiness.timeutil import parse_duration

PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_.]*)\}")
#: Placeholders resolved per service at collection time.
RUNTIME_NAMES = {"service", "item", "repo", "store"}
_ID = r"^[A-Za-z][A-Za-z0-9_.\-]*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class LevelDoc(_Strict):
    id: str = Field(pattern=_ID)
    name: str
    description: str = ""
    attributes: dict[str, str] = {}


class EvidenceDoc(_Strict):
    kind: str
    params: dict[str, Any] = {}


class TemplateDoc(_Strict):
    description: str = ""
    evidence: EvidenceDoc
    expectations: list[dict[str, dict[str, Any] | None]] = Field(min_length=1)
    max_age: str | None = None


class ItemDoc(_Strict):
    id: str = Field(pattern=_ID)
    title: str
    check: str = ""
    required_from: str | None = None
    use: str | None = None
    with_: dict[str, Any] = Field(default={}, alias="with")
    evidence: EvidenceDoc | None = None
    expectations: list[dict[str, dict[str, Any] | None]] | None = None
    max_age: str | None = None
    signoff_roles: list[str] = []
    runbook: str | None = None
    severity: Severity | None = None
    notes: str = ""
    remediation_days: int | None = Field(default=None, ge=0)
    #: Why a person should look at this item (set by ``import-checklist`` when it guessed).
    review: str = ""


class SectionDoc(_Strict):
    id: str = Field(pattern=_ID)
    title: str
    required_from: str | None = None
    signoff_roles: list[str] = []
    items: list[ItemDoc] = Field(min_length=1)


class DefaultsDoc(_Strict):
    severity: Severity = "medium"
    max_age: str | None = None
    runbook: str | None = None


class PromotionDoc(_Strict):
    """A promotion rule: what entering a level takes beyond its items being satisfied."""

    title: str
    from_: str = Field(alias="from")
    held_for: str | None = None
    criteria: list[str] = []
    source: str = ""


class ChecklistDoc(_Strict):
    checklist: str = Field(pattern=_ID)
    title: str
    version: str = "1"
    source: str = ""
    description: str = ""
    levels: list[LevelDoc] = Field(min_length=1)
    defaults: DefaultsDoc = DefaultsDoc()
    templates: dict[str, TemplateDoc] = {}
    sections: list[SectionDoc] = Field(min_length=1)
    promotion: dict[str, PromotionDoc] = {}


class OverrideDoc(_Strict):
    required_from: str | None = None
    max_age: str | None = None
    params: dict[str, Any] = {}
    not_applicable: str | None = None


class WaiverDoc(_Strict):
    item: str
    reason: str = Field(min_length=1)
    approver: str = Field(min_length=1)
    starts: date | None = None
    expires: date
    reference: str = ""

    @model_validator(mode="after")
    def _starts_before_it_expires(self) -> WaiverDoc:
        if self.starts is not None and self.starts > self.expires:
            raise ValueError(f"starts {self.starts} is after expires {self.expires}")
        return self


class EvidenceLocationsDoc(_Strict):
    store: str | None = None
    repo: str | None = None
    locations: dict[str, str] = {}


SCHEDULE_PRESETS = ("@hourly", "@daily", "@weekly", "@monthly", "@quarterly", "@yearly")


class SpecDoc(_Strict):
    service: str = Field(pattern=r"^[a-z][a-z0-9\-]*$")
    description: str = ""
    owner_team: str
    owner_links: dict[str, str] = {}
    tracker_team: str | None = Field(default=None, pattern=r"^[A-Z][A-Z0-9]*$")
    #: Deprecated name of ``tracker_team``; still read, with a deprecation note.
    linear_team: str | None = Field(default=None, pattern=r"^[A-Z][A-Z0-9]*$")
    target_level: str
    schedule: str = "@daily"
    checklist: str
    evidence: EvidenceLocationsDoc = EvidenceLocationsDoc()

    @model_validator(mode="after")
    def _one_tracker_team(self) -> SpecDoc:
        if self.tracker_team is None and self.linear_team is None:
            raise ValueError("tracker_team: required field is missing (the tracker's team key)")
        if self.tracker_team and self.linear_team and self.tracker_team != self.linear_team:
            raise ValueError(
                f"tracker_team {self.tracker_team!r} and the deprecated linear_team "
                f"{self.linear_team!r} disagree; keep tracker_team only"
            )
        return self

    @field_validator("schedule")
    @classmethod
    def _cron_or_preset(cls, value: str) -> str:
        """Checked here so ``readiness check`` catches it, not the DAG processor."""
        from croniter import croniter

        if value in SCHEDULE_PRESETS or croniter.is_valid(value):
            return value
        raise ValueError(
            f"expected a cron expression such as '0 5 * * *' or one of "
            f"{', '.join(SCHEDULE_PRESETS)}"
        )

    overrides: dict[str, OverrideDoc] = {}
    waivers: list[WaiverDoc] = []


# --------------------------------------------------------------------------- YAML + lines


def _line_index(text: str) -> dict[str, int]:
    """Map every path in a YAML document to its 1-based line, for error messages."""
    index: dict[str, int] = {}
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return index

    def walk(node: yaml.Node, path: str) -> None:
        index[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                walk(value, join_path(path, str(key.value)) if path else str(key.value))
        elif isinstance(node, yaml.SequenceNode):
            for position, value in enumerate(node.value):
                walk(value, f"{path}[{position}]")

    if root is not None:
        walk(root, "")
    return index


class _Source:
    """One YAML file: its text, hash, data and a path→line index."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = str(path)
        raw = path.read_bytes()
        self.sha256 = hashlib.sha256(raw).hexdigest()
        self.text = raw.decode("utf-8")
        self._lines: dict[str, int] | None = None

    @property
    def lines(self) -> dict[str, int]:
        """Built only when a problem needs a line number (a second, slower parse)."""
        if self._lines is None:
            self._lines = _line_index(self.text)
        return self._lines

    def problem(self, path: str, message: str) -> Problem:
        line = self.lines.get(path)
        if line is None:
            # fall back to the nearest enclosing path we know a line for
            probe = path
            while probe and line is None:
                probe = re.sub(r"(\[\d+\]|\.[^.\[]+|^[^.\[]+)$", "", probe)
                line = self.lines.get(probe)
        suffix = f" (line {line})" if line else ""
        return Problem(self.name, path, message + suffix)


#: libyaml's safe loader when PyYAML was built with it (it is in the wheels): ~10x faster.
_SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read(path: Path) -> tuple[_Source | None, Any, list[Problem]]:
    try:
        source = _Source(path)
    except OSError as exc:
        return None, None, [Problem(str(path), "", f"cannot read file: {exc.strerror or exc}")]
    except UnicodeDecodeError:
        return None, None, [Problem(str(path), "", "expected UTF-8 text")]
    try:
        data = yaml.load(source.text, Loader=_SAFE_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        what = getattr(exc, "problem", None) or str(exc)
        return source, None, [Problem(source.name, "", f"malformed YAML{where}: {what}")]
    if not isinstance(data, dict):
        return source, None, [Problem(source.name, "", "expected a YAML mapping at the top")]
    return source, data, []


def _structure_problems(source: _Source, exc: ValidationError) -> list[Problem]:
    problems = []
    for err in exc.errors():
        loc = [part for part in err["loc"] if not (isinstance(part, str) and "[" in part)]
        path = join_path(*[p if isinstance(p, int) else str(p) for p in loc])
        message = err["msg"]
        if err["type"] == "extra_forbidden":
            message = "unknown field"
        elif err["type"] == "missing":
            message = "required field is missing"
        elif err["type"] == "value_error":  # our own validators' words, without pydantic's
            message = str(err["msg"]).removeprefix("Value error, ")
        problems.append(
            source.problem(
                path,
                f"{message}; got {_short(err.get('input'))}"
                if err["type"] not in ("missing",)
                else message,
            )
        )
    return problems


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# --------------------------------------------------------------------------- placeholders


def substitute(value: Any, names: dict[str, Any]) -> Any:
    """Replace ``${name}`` placeholders known in ``names``; leave the others for later.
    A string that is exactly one placeholder takes the value as is (lists stay lists)."""
    if isinstance(value, str):
        whole = PLACEHOLDER.fullmatch(value)
        if whole and whole.group(1) in names:
            return names[whole.group(1)]

        def repl(match: re.Match[str]) -> str:
            key = match.group(1)
            return str(names[key]) if key in names else match.group(0)

        return PLACEHOLDER.sub(repl, value)
    if isinstance(value, list):
        return [substitute(v, names) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v, names) for k, v in value.items()}
    return value


def placeholders(value: Any) -> set[str]:
    if isinstance(value, str):
        return set(PLACEHOLDER.findall(value))
    if isinstance(value, list):
        return set().union(*(placeholders(v) for v in value)) if value else set()
    if isinstance(value, dict):
        return set().union(*(placeholders(v) for v in value.values())) if value else set()
    return set()


def _runtime_name(name: str) -> bool:
    return name in RUNTIME_NAMES or name.startswith("locations.")


# --------------------------------------------------------------------------- checklists


def _expectations(
    source: _Source, path: str, raw: list[dict[str, dict[str, Any] | None]]
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


def _check_params(source: _Source, path: str, kind: str, params: dict[str, Any]) -> list[Problem]:
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


def parse_checklist(path: Path) -> tuple[Checklist | None, list[Problem]]:
    """Load one checklist file; the checklist is None when it has any problem."""
    source, data, problems = _read(path)
    if source is None or data is None:
        return None, problems
    try:
        doc = ChecklistDoc.model_validate(data)
    except ValidationError as exc:
        return None, _structure_problems(source, exc)

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

    default_max_age = _duration(source, "defaults.max_age", doc.defaults.max_age, problems)
    for name, template in doc.templates.items():
        where = join_path("templates", name)
        _expectations(source, join_path(where, "expectations"), template.expectations)
        _duration(source, join_path(where, "max_age"), template.max_age, problems)

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
    if problems:
        return None, problems
    return Checklist(
        promotions=promotions,
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
    source: _Source,
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
        held = _duration(source, join_path(path, "held_for"), pdoc.held_for, problems)
        rules[level] = PromotionRule(
            level=level,
            title=pdoc.title,
            from_level=pdoc.from_,
            held_for=held,
            criteria=tuple(pdoc.criteria),
            source=pdoc.source,
        )
    return rules


def _duration(
    source: _Source, path: str, text: str | None, problems: list[Problem]
) -> timedelta | None:
    if text is None:
        return None
    try:
        return parse_duration(text)
    except ValueError as exc:
        problems.append(source.problem(path, str(exc)))
        return None


def _item(
    source: _Source,
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
            if not _runtime_name(n)
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
    max_age = _duration(source, join_path(path, "max_age"), max_age_text, problems)
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
        severity=idoc.severity or doc.defaults.severity,
        check=idoc.check,
        max_age=max_age if idoc.max_age or max_age_text else default_max_age,
        signoff_roles=tuple(idoc.signoff_roles),
        runbook=idoc.runbook or doc.defaults.runbook,
        notes=idoc.notes,
        remediation_days=idoc.remediation_days,
        review=idoc.review,
    )


# --------------------------------------------------------------------------- service specs


def parse_spec(path: Path) -> tuple[ServiceSpec | None, list[Problem]]:
    """Load one service spec (structure only; :func:`load_catalog` cross-checks it)."""
    source, data, problems = _read(path)
    if source is None or data is None:
        return None, problems
    try:
        doc = SpecDoc.model_validate(data)
    except ValidationError as exc:
        return None, _structure_problems(source, exc)
    overrides: dict[str, ItemOverride] = {}
    for item_id, odoc in doc.overrides.items():
        overrides[item_id] = ItemOverride(
            required_from=odoc.required_from,
            max_age=_duration(
                source, join_path("overrides", item_id, "max_age"), odoc.max_age, problems
            ),
            params=dict(odoc.params),
            not_applicable=odoc.not_applicable,
        )
    if problems:
        return None, problems
    waivers = tuple(
        Waiver(
            item=w.item,
            reason=w.reason,
            approver=w.approver,
            expires=w.expires,
            reference=w.reference,
            source=source.name,
            starts=w.starts,
        )
        for w in doc.waivers
    )
    deprecations = (
        (f"{source.name}: linear_team is deprecated; rename it to tracker_team",)
        if doc.linear_team is not None
        else ()
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
    ), []


def _cross_check(spec: ServiceSpec, checklists: dict[str, Checklist]) -> list[Problem]:
    lines = _Source(Path(spec.file)).problem if Path(spec.file).exists() else None

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
    for position, waiver in enumerate(spec.waivers):
        if waiver.item not in item_ids:
            problems.append(
                problem(
                    f"waivers[{position}].item",
                    f"item {waiver.item!r} is not in checklist {checklist.id}",
                )
            )
    return problems


# --------------------------------------------------------------------------- the catalog


@dataclass
class Catalog:
    """Every checklist and spec that loaded cleanly, plus every problem found.

    ``broken_specs`` maps a spec file that could not be used to its problems, so a DAG
    factory can still show that service (as a failing DAG) instead of dropping it."""

    checklists: dict[str, Checklist] = field(default_factory=dict)
    specs: dict[str, ServiceSpec] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    broken_specs: dict[str, list[Problem]] = field(default_factory=dict)

    @property
    def notes(self) -> list[str]:
        """Deprecation notes of the specs that loaded (each names its file)."""
        return [note for spec in self.specs.values() for note in spec.deprecations]

    def checklist_for(self, spec: ServiceSpec) -> Checklist:
        return self.checklists[spec.checklist]


def _yaml_files(paths: Iterable[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml")))
        else:
            files.append(path)
    return files


def is_spec_file(path: Path) -> bool:
    """A service spec names its ``service:`` at the top level; a checklist never does (a
    spec's ``checklist:`` key only says which checklist it follows). So checklists and
    specs may share a folder."""
    try:
        head = path.read_text(errors="replace")[:8000]
    except OSError:
        return False
    return any(line.startswith("service:") for line in head.splitlines())


def load_catalog(checklist_paths: Iterable[Path], spec_paths: Iterable[Path]) -> Catalog:
    """Load every checklist and spec; never raises for bad input. A folder listed for
    checklists skips the specs in it, and one listed for specs skips the files loaded as
    checklists."""
    catalog = Catalog()
    explicit = {p for p in checklist_paths if not p.is_dir()}
    spec_files = _yaml_files(spec_paths)
    for path in _yaml_files(checklist_paths):
        if path not in explicit and (path in spec_files or is_spec_file(path)):
            continue
        checklist, problems = parse_checklist(path)
        catalog.problems.extend(problems)
        if checklist is not None:
            if checklist.id in catalog.checklists:
                catalog.problems.append(
                    Problem(
                        str(path),
                        "checklist",
                        f"checklist id {checklist.id!r} is also "
                        f"defined in {catalog.checklists[checklist.id].file}",
                    )
                )
            else:
                catalog.checklists[checklist.id] = checklist
    checklist_files = {Path(c.file).resolve() for c in catalog.checklists.values()}
    for path in spec_files:
        if path.resolve() in checklist_files:
            continue
        spec, problems = parse_spec(path)
        if spec is not None:
            problems = _cross_check(spec, catalog.checklists)
            if spec.service in catalog.specs:
                problems.append(
                    Problem(
                        str(path),
                        "service",
                        f"service {spec.service!r} is also defined in "
                        f"{catalog.specs[spec.service].file}",
                    )
                )
        catalog.problems.extend(problems)
        if spec is not None and not problems:
            catalog.specs[spec.service] = spec
        elif problems:
            catalog.broken_specs[str(path)] = problems
    return catalog


_CACHED: dict[tuple[object, ...], Catalog] = {}


def load_catalog_cached(checklist_paths: Iterable[Path], spec_paths: Iterable[Path]) -> Catalog:
    """``load_catalog`` memoised on the files' names, sizes and modification times.

    A process that builds several stages of one run (``dag.test()``, the quarterly task)
    parses the YAML once; an edited file changes the key, so it is never stale."""
    checklists, specs = list(checklist_paths), list(spec_paths)
    key: list[object] = [tuple(map(str, checklists)), tuple(map(str, specs))]
    for path in _yaml_files([*checklists, *specs]):
        try:
            stat = path.stat()
        except OSError:
            continue
        key.append((str(path), stat.st_mtime_ns, stat.st_size))
    frozen = tuple(key)
    if frozen not in _CACHED:
        _CACHED.clear()  # one configuration per process; keep memory flat
        _CACHED[frozen] = load_catalog(checklists, specs)
    return _CACHED[frozen]

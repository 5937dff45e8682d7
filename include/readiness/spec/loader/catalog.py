"""The catalog: every checklist and spec of a run, loaded so that one bad file never
hides the others."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from readiness.domain.model import (
    Checklist,
    ServiceSpec,
)
from readiness.spec.loader.checklists import parse_checklist
from readiness.spec.loader.specs import cross_check, parse_spec
from readiness.support.errors import Problem

_SERVICE_LINE = re.compile(r"^service:[ \t]*([^\s#]+)", re.MULTILINE)


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
    def named_services(self) -> set[str]:
        """Every service a spec file names, loaded or not: a spec that fails to load keeps
        its service (by its file name, and its ``service:`` line where one can be read),
        so a typo never looks like a retirement."""
        named = set(self.specs)
        for file in self.broken_specs:
            path = Path(file)
            named.add(path.stem)
            try:
                if path.is_file():
                    with path.open("rb") as handle:
                        head = handle.read(65536).decode("utf-8", "replace")
                    named.update(m.strip("'\" ") for m in _SERVICE_LINE.findall(head))
            except OSError:
                pass
        return named

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
            problems = cross_check(spec, catalog.checklists)
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


def _files_key(paths: Iterable[Path]) -> list[object]:
    key: list[object] = []
    for path in _yaml_files(paths):
        try:
            stat = path.stat()
        except OSError:
            continue
        key.append((str(path), stat.st_mtime_ns, stat.st_size))
    return key


def load_service_catalog_cached(
    checklist_paths: Iterable[Path], spec_paths: Iterable[Path], service: str
) -> Catalog | None:
    """``load_service_catalog`` memoised on the checklists and that one spec file."""
    checklists, specs = list(checklist_paths), list(spec_paths)
    own = [f / f"{service}{x}" for f in specs if f.is_dir() for x in (".yaml", ".yml")]
    key = ("service", service, *map(str, specs), *_files_key(checklists), *_files_key(own))
    if key not in _CACHED:
        one = load_service_catalog(checklists, specs, service)
        if one is None:
            return None
        _CACHED.clear()  # one configuration per process; keep memory flat
        _CACHED[key] = one
    return _CACHED[key]


def load_catalog_cached(
    checklist_paths: Iterable[Path], spec_paths: Iterable[Path], service: str | None = None
) -> Catalog:
    """``load_catalog`` memoised on the files' names, sizes and modification times; with
    ``service``, only that service's spec when it can (``load_service_catalog``).

    A process that builds several stages of one run (a task parsing its DAG, then running
    it; ``dag.test()``; the quarterly task) parses the YAML once; an edited file changes the
    key, so it is never stale."""
    checklists, specs = list(checklist_paths), list(spec_paths)
    if service is not None:
        one = load_service_catalog_cached(checklists, specs, service)
        if one is not None:
            return one
    key = ("all", *map(str, checklists), *map(str, specs), *_files_key([*checklists, *specs]))
    if key not in _CACHED:
        _CACHED.clear()
        _CACHED[key] = load_catalog(checklists, specs)
    return _CACHED[key]


def _named(folders: Iterable[Path], stem: str) -> list[Path]:
    """``<stem>.yaml`` or ``<stem>.yml`` in each folder, where it exists."""
    return [
        path
        for folder in folders
        if folder.is_dir()
        for path in (folder / f"{stem}.yaml", folder / f"{stem}.yml")
        if path.is_file()
    ]


def load_service_catalog(
    checklist_paths: Iterable[Path], spec_paths: Iterable[Path], service: str
) -> Catalog | None:
    """The checklists and one service's spec, read from ``<service>.yaml`` in a spec folder
    without opening any other spec: what a task of that service's DAG needs, at a cost that
    does not grow with the number of specs. ``None`` when that file is absent, names another
    service or has problems: the caller then loads everything, which is always right."""
    checklist_paths, spec_paths = list(checklist_paths), list(spec_paths)
    found = _named(spec_paths, service)
    if len(found) != 1:
        return None
    spec, problems = parse_spec(found[0])
    if spec is None or problems or spec.service != service:
        return None
    named = _named(checklist_paths, spec.checklist)
    # the checklist's own file when it is named after its id, else every checklist
    catalog = load_catalog(named if len(named) == 1 else checklist_paths, [])
    if catalog.problems or spec.checklist not in catalog.checklists:
        return None
    if cross_check(spec, catalog.checklists):
        return None
    catalog.specs[service] = spec
    return catalog

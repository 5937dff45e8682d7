"""``readiness check`` and ``readiness evaluate``."""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from readiness.support.errors import ConfigError
from readiness.support.timeutil import utcnow

if TYPE_CHECKING:
    from readiness.spec.config import Settings
    from readiness.spec.loader import Catalog
    from readiness.support.errors import Problem
from readiness.cli.common import EXIT_FAIL, EXIT_OK, make_console


def cmd_check(args: argparse.Namespace, settings: Settings) -> int:
    from readiness.spec.loader import is_spec_file, load_catalog

    out = make_console(highlight=False)
    if args.paths:
        files = _yaml_under(args.paths)
        checklist_paths = [p for p in files if not is_spec_file(p)]
        spec_paths = [p for p in files if is_spec_file(p)]
        if spec_paths and not checklist_paths:
            checklist_paths = settings.checklist_paths  # specs refer to the shipped checklists
    else:
        checklist_paths, spec_paths = settings.checklist_paths, settings.service_paths
    catalog = load_catalog(checklist_paths, spec_paths)
    problems = list(catalog.problems)
    # every rule a run applies to a spec, so check fails what evaluate would refuse
    from readiness.pipeline.collect import policy_problems

    refused = {
        s: policy_problems(settings, spec, catalog.checklist_for(spec).items)
        for s, spec in catalog.specs.items()
    }
    problems += [p for found in refused.values() for p in found]
    for service in [s for s, found in refused.items() if found]:
        del catalog.specs[service]
    if not args.no_gx and catalog.checklists:
        problems.extend(_gx_check(catalog))
    for problem in problems:
        out.print(f"[red]error:[/] {problem}")
    for note in catalog.notes:
        out.print(f"[yellow]deprecated:[/] {note}")
    for checklist in catalog.checklists.values():
        out.print(
            f"[green]ok[/] checklist {checklist.id}: {len(checklist.items)} items, "
            f"levels {', '.join(lv.id for lv in checklist.levels)} ({_shown(checklist.file)})"
        )
        review = [item.id for item in checklist.items if item.review]
        if review:
            shown = ", ".join(review[:8]) + (", …" if len(review) > 8 else "")
            out.print(
                f"[yellow]note:[/] {len(review)} item(s) of {checklist.id} are marked "
                f"`review:` (imported: a guess to confirm): {shown}"
            )
    for spec in catalog.specs.values():
        out.print(
            f"[green]ok[/] service {spec.service}: {spec.checklist}, target "
            f"{spec.target_level} ({_shown(spec.file)})"
        )
    if problems:
        out.print(f"[red]{len(problems)} problem(s)[/]")
        return EXIT_FAIL
    return EXIT_OK


def _shown(file: str) -> str:
    """A path as the user would type it: relative to the working folder when inside it."""
    try:
        return str(Path(file).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return file


def _yaml_under(paths: list[Path]) -> list[Path]:
    """The YAML files named, and those in the folders named (a folder may hold checklists
    and specs side by side)."""
    files: list[Path] = []
    for path in paths:
        files.extend(sorted(path.glob("*.y*ml")) if path.is_dir() else [path])
    return files


def _gx_check(catalog: Catalog) -> list[Problem]:
    """Build every expectation with GX itself so argument errors are GX's own words."""
    from readiness.pipeline.validation import _GX, resolve_kwargs
    from readiness.support.errors import Problem

    gx = _GX()
    now = utcnow()
    problems: list[Problem] = []
    seen: set[str] = set()
    for checklist in catalog.checklists.values():
        for s_pos, section in enumerate(checklist.sections):
            for i_pos, item in enumerate(section.items):
                for e_pos, expectation in enumerate(item.expectations):
                    key = json.dumps(
                        [expectation.type, expectation.kwargs], sort_keys=True, default=str
                    )
                    if key in seen:
                        continue
                    seen.add(key)
                    try:
                        gx.expectation(expectation.type, resolve_kwargs(expectation.kwargs, now))
                    except Exception as exc:
                        first = str(exc).splitlines()
                        detail = "; ".join(line.strip() for line in first[1:4]) or str(exc)
                        problems.append(
                            Problem(
                                checklist.file,
                                f"sections[{s_pos}].items[{i_pos}].expectations[{e_pos}]",
                                f"{expectation.type}: {detail}",
                            )
                        )
    return problems


def missing_evidence_root(settings: Settings) -> str:
    """A local ``evidence_root`` that does not exist, in words ('' when it does): without
    this a typo'd folder shows as every store item ``missing``, with nothing saying why."""
    root = str(settings.evidence_root)
    if "://" in root and not root.startswith("file://"):
        return ""
    path = Path(root.removeprefix("file://"))
    if not path.is_absolute():
        path = Path(settings.project_root) / path
    if path.exists():
        return ""
    return (
        f"evidence_root {root!r} ({path}) does not exist: every item read from the evidence "
        "store will be missing. Set evidence_root in readiness.yaml (docs/evidence.md)"
    )


def cmd_evaluate(args: argparse.Namespace, settings: Settings) -> int:
    from rich.progress import Progress

    from readiness.cli.console import evaluation_json, render_report
    from readiness.history import RunMeta
    from readiness.pipeline.engine import default_run_key, evaluate

    as_of = args.as_of or utcnow()
    meta = RunMeta(run_key=args.run_id or default_run_key(as_of), trigger=args.trigger)
    err = make_console(stderr=True)
    warning = missing_evidence_root(settings)
    if warning:
        err.print(f"[yellow]warning:[/] {warning}", highlight=False)
    try:
        if args.json:
            report = evaluate(
                settings, services=args.services, as_of=as_of, meta=meta, dry_run=args.dry_run
            )
        else:
            with Progress(console=err, transient=True) as bar:
                task = bar.add_task("evaluating", total=None)

                def progress(label: str, done: int, total: int) -> None:
                    bar.update(task, description=label, completed=done, total=total)

                report = evaluate(
                    settings,
                    services=args.services,
                    as_of=as_of,
                    meta=meta,
                    dry_run=args.dry_run,
                    progress=progress,
                )
    except ConfigError:
        raise
    except Exception as exc:  # the run itself could not happen (history unreachable, ...)
        logging.getLogger("readiness").debug("run failed", exc_info=True)
        err.print(f"[red]error:[/] evaluation could not run: {type(exc).__name__}: {exc}")
        return EXIT_FAIL
    for problem in report.problems:
        err.print(f"[red]error:[/] {problem}", highlight=False)
    if args.json:
        print(json.dumps(evaluation_json(report), indent=2, default=str))
    else:
        render_report(make_console(highlight=False), report)
    if not report.evaluations and (report.problems or report.warnings):
        return EXIT_FAIL
    return EXIT_OK

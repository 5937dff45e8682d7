"""The ``readiness`` command line (docs/design.md §4). Usable without Airflow; the DAG tasks call
the same library functions."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console

from readiness.domain.model import FAILING, Status
from readiness.support.errors import ConfigError
from readiness.support.timeutil import parse_duration, parse_timestamp, utcnow

if TYPE_CHECKING:
    from readiness.history import HistoryStore
    from readiness.support.errors import Problem

EXIT_OK, EXIT_FAIL, EXIT_UNKNOWN = 0, 1, 2


def _console(*, stderr: bool = False, **options: Any) -> Console:
    """A console that never wraps a line it prints when its stream is not a terminal (CI
    logs, pipes): one problem stays one line, so ``grep`` finds the file and the field
    together. Tables still fit the width."""
    stream = sys.stderr if stderr else sys.stdout
    if not stream.isatty():
        options.setdefault("soft_wrap", True)
    return Console(stderr=stderr, **options)


def _timestamp(text: str) -> datetime:
    try:
        return parse_timestamp(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected an ISO-8601 timestamp, got {text!r}") from exc


def _duration(text: str) -> timedelta:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="readiness",
        description="Keep every service's production-readiness checklist true, continuously.",
    )
    parser.add_argument("--config", type=Path, help="config file (default: readiness.yaml)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    sub = parser.add_subparsers(dest="command", required=True)

    check = sub.add_parser("check", help="validate checklists and service specs")
    check.add_argument(
        "paths",
        nargs="*",
        type=Path,
        help="files or folders (default: the configured checklists and services)",
    )
    check.add_argument(
        "--no-gx",
        action="store_true",
        help="skip building every expectation with Great Expectations",
    )

    ev = sub.add_parser(
        "evaluate", help="one evaluation run: collect, validate, score, record, sync issues"
    )
    ev.add_argument(
        "--service",
        action="append",
        dest="services",
        metavar="S",
        help="only this service (repeatable)",
    )
    ev.add_argument("--as-of", type=_timestamp, help="evaluate as of this moment (ISO-8601)")
    ev.add_argument("--run-id", help="run id; the same id again replaces that run's rows")
    ev.add_argument("--trigger", choices=["scheduled", "quarterly", "manual"], default="manual")
    ev.add_argument("--dry-run", action="store_true", help="record and sync nothing")
    ev.add_argument("--json", action="store_true", help="one JSON document on stdout")

    gate = sub.add_parser(
        "gate", help="is SERVICE at or above LEVEL now? exit 0 yes, 1 no, 2 unknown"
    )
    gate.add_argument("service")
    gate.add_argument("--level", required=True)
    gate.add_argument(
        "--max-age",
        type=_duration,
        default=timedelta(days=2),
        help="an evaluation older than this is unknown (default 2d)",
    )
    gate.add_argument("--as-of", type=_timestamp, help="judge as of this moment")

    status = sub.add_parser("status", help="current level and failing items from history")
    status.add_argument("service", nargs="?")
    status.add_argument("--json", action="store_true")

    warehouse = sub.add_parser(
        "init-warehouse",
        help="create the history dataset, tables and views if missing (idempotent)",
    )
    warehouse.add_argument(
        "--views", action="store_true", help="recreate the views even if their SQL is unchanged"
    )

    report = sub.add_parser(
        "report", help="the quarterly report (Markdown and HTML) from the history tables"
    )
    report.add_argument("--quarter", help="e.g. 2026Q4 (default: the quarter that ended last)")
    report.add_argument(
        "--out", help="write here instead of the configured report store (folder or gs://)"
    )
    report.add_argument("--as-of", type=_timestamp, help="count up to this moment (default: now)")
    report.add_argument("--json", action="store_true", help="the figures as JSON on stdout")

    oscal = sub.add_parser(
        "oscal", help="a service's evaluation as an OSCAL 1.2.1 assessment-results document"
    )
    oscal.add_argument("service")
    oscal.add_argument("--run-id", help="which evaluation (default: the latest)")
    oscal.add_argument("-o", "--output", type=Path, help="write here (default: stdout)")

    importer = sub.add_parser(
        "import-checklist",
        help="turn a readiness document (the seeds' style) into checklist YAML",
    )
    importer.add_argument("file", type=Path, help="the readiness document (Markdown or text)")
    importer.add_argument("-o", "--output", type=Path, help="write the YAML here (default: stdout)")
    importer.add_argument(
        "--required-from",
        help="level for items whose section names none (default: the level the document "
        "targets, else the highest)",
    )

    history = sub.add_parser("history", help="level timeline and item transitions")
    history.add_argument("service")
    history.add_argument("--since", type=_timestamp)
    history.add_argument("--item", help="only this item's transitions")
    history.add_argument("--json", action="store_true")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    err = _console(stderr=True)
    try:
        from readiness.spec.config import load_settings

        settings = load_settings(args.config)
        handler = {
            "check": cmd_check,
            "evaluate": cmd_evaluate,
            "gate": cmd_gate,
            "status": cmd_status,
            "history": cmd_history,
            "init-warehouse": cmd_init_warehouse,
            "report": cmd_report,
            "import-checklist": cmd_import_checklist,
            "oscal": cmd_oscal,
        }[args.command]
        return handler(args, settings)
    except ConfigError as exc:
        for problem in exc.problems:
            err.print(f"[red]error:[/] {problem}", highlight=False)
        return EXIT_FAIL
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # never a traceback for the user; -v shows it in the log
        logging.getLogger("readiness").debug("command failed", exc_info=True)
        err.print(
            f"[red]error:[/] {args.command} failed: {type(exc).__name__}: {exc}", highlight=False
        )
        return EXIT_UNKNOWN if args.command == "gate" else EXIT_FAIL


def cmd_check(args: argparse.Namespace, settings: object) -> int:
    from readiness.spec.config import Settings
    from readiness.spec.loader import is_spec_file, load_catalog

    assert isinstance(settings, Settings)
    out = _console(highlight=False)
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


def _gx_check(catalog: object) -> list[Problem]:
    """Build every expectation with GX itself so argument errors are GX's own words."""
    from readiness.pipeline.validation import _GX, resolve_kwargs
    from readiness.spec.loader import Catalog
    from readiness.support.errors import Problem

    assert isinstance(catalog, Catalog)
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


def cmd_evaluate(args: argparse.Namespace, settings: object) -> int:
    from rich.progress import Progress

    from readiness.cli.console import evaluation_json, render_report
    from readiness.history import RunMeta
    from readiness.pipeline.engine import default_run_key, evaluate
    from readiness.spec.config import Settings

    assert isinstance(settings, Settings)
    as_of = args.as_of or utcnow()
    meta = RunMeta(run_key=args.run_id or default_run_key(as_of), trigger=args.trigger)
    err = _console(stderr=True)
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
        render_report(_console(highlight=False), report)
    if not report.evaluations and (report.problems or report.warnings):
        return EXIT_FAIL
    return EXIT_OK


def _history(settings: object) -> HistoryStore:
    from readiness.history import history_for
    from readiness.spec.config import Settings

    assert isinstance(settings, Settings)
    return history_for(settings)


def cmd_init_warehouse(args: argparse.Namespace, settings: object) -> int:
    """Schema management on its own (it also happens on a store's first write)."""
    history = _history(settings)
    if args.views and history.backend == "bigquery":
        changes = history.init(force_views=True)  # type: ignore[call-arg]
    else:
        changes = history.init()
    out = _console(highlight=False)
    where = getattr(settings, "history", "")
    if not changes:
        out.print(f"history at {where} is up to date")
    for change in changes:
        out.print(f"{change}")
    return EXIT_OK


def cmd_oscal(args: argparse.Namespace, settings: object) -> int:
    """Export, then validate: an invalid document is never written."""
    from readiness.audit.oscal import OSCAL_VERSION, NotEvaluated, assessment_results, validate

    err = _console(stderr=True, highlight=False, markup=False, soft_wrap=True)
    try:
        document = assessment_results(_history(settings), args.service, args.run_id)
    except NotEvaluated as exc:
        err.print(f"error: {exc}")
        return EXIT_FAIL
    problems = validate(document)
    for problem in problems:
        err.print(f"error: OSCAL assessment-results: {problem}")
    if problems:
        return EXIT_FAIL
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if args.output:
        args.output.write_text(text, encoding="utf-8")
        result = document["assessment-results"]["results"][0]
        err.print(
            f"wrote {args.output}: {len(result.get('findings', []))} findings, "
            f"{len(result.get('risks', []))} accepted risks (OSCAL {OSCAL_VERSION})"
        )
    else:
        sys.stdout.write(text)
    return EXIT_OK


def cmd_import_checklist(args: argparse.Namespace, settings: object) -> int:
    """Import, then load the result with the same loader as ``check``: what is written is
    a checklist ``readiness check`` accepts, or the command fails."""
    import tempfile

    from readiness.authoring.importer import import_file
    from readiness.spec.loader import parse_checklist

    err = _console(stderr=True, highlight=False, markup=False, soft_wrap=True)
    path: Path = args.file
    try:
        result = import_file(path, args.required_from)
    except (OSError, UnicodeDecodeError) as exc:
        err.print(f"error: {path}: cannot read: {exc}")
        return EXIT_FAIL
    for line, message in result.notes:
        err.print(f"{path}:{line}: {message}" if line else f"{path}: {message}")
    if not result.items:
        err.print(
            f"error: {path}: no checklist items found (numbered sections with tables "
            "of '# Item Status check Evidence' rows, or bullet lists)"
        )
        return EXIT_FAIL
    text = result.yaml(path.name)
    with tempfile.TemporaryDirectory() as folder:
        probe = Path(folder) / "imported.yaml"
        probe.write_text(text, encoding="utf-8")
        _checklist, problems = parse_checklist(probe)
    if problems:
        for problem in problems:
            err.print(f"error: imported checklist: {problem}")
        return EXIT_FAIL
    if args.output:
        args.output.write_text(text, encoding="utf-8")
        err.print(f"wrote {args.output}: {result.items} items, {result.review} marked for review")
    else:
        sys.stdout.write(text)
    return EXIT_OK


def cmd_report(args: argparse.Namespace, settings: object) -> int:
    from readiness.audit.reports import write_quarter_report
    from readiness.spec.config import Settings
    from readiness.support.timeutil import parse_quarter, previous_quarter_label, quarter_label

    assert isinstance(settings, Settings)
    err = _console(stderr=True, highlight=False)
    if args.quarter:
        try:
            label = quarter_label(*parse_quarter(args.quarter))
        except ValueError as exc:
            err.print(f"[red]error:[/] --quarter: {exc}")
            return EXIT_FAIL
    else:
        label = previous_quarter_label(utcnow().date())
    history = _history(settings)
    now = args.as_of or utcnow()
    written = write_quarter_report(
        history, label, args.out or settings.reports, settings.project_root, now=now
    )
    report = written.report
    if args.json:
        print(
            json.dumps(
                {
                    "quarter": label,
                    "files": written.files,
                    "services": [
                        {
                            "service": s.service,
                            "level_at_end": s.level_at_end,
                            "target_level": s.target_level,
                            "below_target_days": round(s.below_target_seconds / 86400, 3),
                            "regressions_opened": s.opened,
                            "regressions_closed": s.closed,
                            "median_days_to_remediate": s.median_days_to_remediate,
                            "signoffs_due": len(s.signoffs),
                            "waivers_due": len(s.waivers),
                        }
                        for s in report.services
                    ],
                },
                indent=2,
            )
        )
        return EXIT_OK
    out = _console(highlight=False)
    if not report.services:
        out.print(f"no service was evaluated by the end of {label}; the report says so")
    for s in report.services:
        out.print(
            f"{s.service}: {s.level_at_end} at the end of {label} (target {s.target_level}); "
            f"{s.below_target_seconds / 86400:.1f} d below target; regressions "
            f"{s.opened} opened / {s.closed} closed; {len(s.signoffs)} sign-off(s) and "
            f"{len(s.waivers)} waiver(s) due"
        )
    for name, uri in written.files.items():
        out.print(f"wrote {name}: {uri}")
    return EXIT_OK


def cmd_gate(args: argparse.Namespace, settings: object) -> int:
    from readiness.audit.gate import NO, UNKNOWN, YES, decide
    from readiness.spec.config import Settings
    from readiness.spec.loader import load_catalog

    assert isinstance(settings, Settings)
    # deploy logs: one line per finding (no wrapping), evidence text never read as markup
    out = _console(highlight=False, soft_wrap=True, markup=False)
    catalog = load_catalog(settings.checklist_paths, settings.service_paths)
    if args.service not in catalog.specs:
        out.print(f"unknown: service {args.service!r} is not defined")
        return EXIT_UNKNOWN
    gate = decide(
        catalog, _history(settings), args.service, args.level, args.as_of or utcnow(), args.max_age
    )
    out.print(f"{gate.answer}: {gate.reason}")
    for row in gate.blocking:
        out.print(f"  {row['item_id']} [{row['status']}] {row['reason']}")
    if gate.promotion is not None:
        verdict = gate.promotion
        met = sum(c.met for c in verdict.criteria)
        out.print(
            f"promotion to {args.level} ({verdict.rule.title}): {met} of "
            f"{len(verdict.criteria)} criteria met"
        )
        for criterion in verdict.criteria:
            mark = "✓" if criterion.met else "✗"
            out.print(f"  {mark} {criterion.name}: {criterion.detail}")
    return {YES: EXIT_OK, NO: EXIT_FAIL, UNKNOWN: EXIT_UNKNOWN}[gate.answer]


def cmd_status(args: argparse.Namespace, settings: object) -> int:
    from readiness.cli.console import render_snapshot

    history = _history(settings)
    out = _console(highlight=False)
    services = [args.service] if args.service else history.services()
    snaps = [s for s in (history.snapshot(name) for name in services) if s is not None]
    if args.json:
        print(json.dumps([vars(s) for s in snaps], indent=2, default=str))
        return EXIT_OK
    if not snaps:
        out.print("no evaluations recorded yet; run `readiness evaluate`")
    for snap in snaps:
        render_snapshot(out, snap)
    return EXIT_OK


def cmd_history(args: argparse.Namespace, settings: object) -> int:
    from rich.table import Table

    history = _history(settings)
    timeline = history.timeline(args.service, args.since)
    transitions = [
        t
        for t in history.transitions(args.service, args.since)
        if not args.item or t["item_id"] == args.item
    ]
    if args.json:
        print(json.dumps({"timeline": timeline, "transitions": transitions}, indent=2, default=str))
        return EXIT_OK
    out = _console(highlight=False)
    table = Table(title=f"{args.service}: level timeline", title_justify="left")
    failing = [s.value for s in Status if s in FAILING]
    for column in ("evaluated_at", "trigger", "level", "target", "regressions", *failing):
        table.add_column(column, no_wrap=column in ("evaluated_at", "level"))
    for row in timeline:
        level = row["achieved_level"]
        if row["previous_level"] and row["previous_level"] != level:
            level = f"{row['previous_level']} → {level}"
        table.add_row(
            f"{row['evaluated_at']:%Y-%m-%d %H:%M}",
            row["trigger"],
            level,
            row["target_level"],
            str(row["regressions"]),
            *(str(row[f"count_{status}"]) for status in failing),
        )
    out.print(table)
    moves = Table(title="item transitions", title_justify="left")
    for column in ("evaluated_at", "item", "from", "to", "reason"):
        moves.add_column(column, overflow="fold")
    for row in transitions:
        to = row["status"] + (" ↓" if row["regressed"] else "")
        moves.add_row(
            f"{row['evaluated_at']:%Y-%m-%d %H:%M}",
            row["item_id"],
            row["previous_status"],
            to,
            (row["reason"] or "")[:200],
        )
    out.print(moves)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())

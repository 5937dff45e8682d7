"""``readiness report`` and ``readiness oscal``: what auditors receive."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from readiness.support.timeutil import utcnow

if TYPE_CHECKING:
    from readiness.spec.config import Settings

    pass
from readiness.cli.common import EXIT_FAIL, EXIT_OK, make_console
from readiness.cli.history import open_history_of


def cmd_oscal(args: argparse.Namespace, settings: Settings) -> int:
    """Export, then validate: an invalid document is never written."""
    from readiness.audit.oscal import OSCAL_VERSION, NotEvaluated, assessment_results, validate

    err = make_console(stderr=True, highlight=False, markup=False, soft_wrap=True)
    try:
        document = assessment_results(open_history_of(settings), args.service, args.run_id)
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


def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    from readiness.audit.reports import write_quarter_report
    from readiness.spec.loader import load_catalog_cached
    from readiness.support.timeutil import parse_quarter, previous_quarter_label, quarter_label

    err = make_console(stderr=True, highlight=False)
    if args.quarter:
        try:
            label = quarter_label(*parse_quarter(args.quarter))
        except ValueError as exc:
            err.print(f"[red]error:[/] --quarter: {exc}")
            return EXIT_FAIL
    else:
        label = previous_quarter_label(utcnow().date())
    history = open_history_of(settings)
    now = args.as_of or utcnow()
    written = write_quarter_report(
        history,
        label,
        args.out or settings.reports,
        settings.project_root,
        now=now,
        # the rules the lapses are forecast by (a spec that does not load is left out)
        catalog=load_catalog_cached(settings.checklist_paths, settings.service_paths),
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
    out = make_console(highlight=False)
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


def cmd_verify(args: argparse.Namespace, settings: Settings) -> int:
    """Check that history is what was signed; exit 0 when every check holds, 1 naming the
    first record that breaks one."""
    from readiness.audit.verify import rederive_with, verify
    from readiness.pipeline.verdicts import evidence_archive, keyring, keyring_path

    out = make_console(highlight=False, soft_wrap=True, markup=False)
    ring = keyring(settings)
    archive = evidence_archive(settings)
    if args.rederive and archive is None:
        out.print("error: --rederive needs an evidence archive (evidence_archive is none)")
        return EXIT_FAIL
    history = open_history_of(settings)
    if args.export:
        chain = history.verdicts(args.service or "")
        args.export.write_text(
            "".join(json.dumps(v.envelope, sort_keys=True) + "\n" for v in chain),
            encoding="utf-8",
        )
        make_console(stderr=True, highlight=False).print(
            f"wrote {args.export}: {len(chain)} envelope(s) in chain order"
        )
    report = verify(
        history,
        ring,
        service=args.service or "",
        since=args.since,
        archive=archive,
        rederive=rederive_with(settings.error_grace_runs) if args.rederive else None,
    )
    if args.json:
        sys.stdout.write(
            json.dumps(
                {
                    "ok": report.ok,
                    "services": report.services,
                    "runs": report.runs,
                    "rederived": report.rederived,
                    "keys": sorted(report.keys),
                    "broken": [vars(b) for b in report.broken],
                },
                indent=2,
            )
            + "\n"
        )
        return EXIT_OK if report.ok else EXIT_FAIL
    out.print(
        f"verify: history {settings.history}, keyring {keyring_path(settings)} "
        f"({len(ring.keys)} key(s))"
        + (f", archive {archive.root}" if args.rederive and archive else "")
    )
    if args.service and args.service not in report.services:
        out.print(f"BROKEN: {args.service}: no verdict on record")
        return EXIT_FAIL
    broken_by: dict[str, int] = {}
    for b in report.broken:
        broken_by[b.service] = broken_by.get(b.service, 0) + 1
    for name, count in sorted(report.services.items()):
        state = (
            f"{broken_by[name]} broken record(s)"
            if name in broken_by
            else (
                "chain intact, signatures hold, history agrees"
                + (", re-derived from the archive" if args.rederive else "")
            )
        )
        out.print(f"  {name}: {count} verdict(s): {state}")
    if report.broken:
        first = report.broken[0]
        out.print(f"BROKEN: first broken record: {first}")
        for b in report.broken[1:20]:
            out.print(f"  also: {b}")
        if len(report.broken) > 20:
            out.print(f"  … and {len(report.broken) - 20} more")
        return EXIT_FAIL
    keys = ", ".join(k[:16] for k in sorted(report.keys)) or "none"
    out.print(
        f"ok: {sum(report.services.values())} verdict(s) of {len(report.services)} service(s), "
        f"{report.runs} run(s) in history agree"
        + (f", {report.rederived} re-derived" if args.rederive else "")
        + f"; signed by key {keys}"
    )
    return EXIT_OK

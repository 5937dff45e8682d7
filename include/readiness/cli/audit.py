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

"""The ``readiness`` command line (docs/design.md §4). Usable without Airflow; the DAG tasks call
the same library functions."""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence

from readiness.cli.audit import cmd_oscal, cmd_report, cmd_verify
from readiness.cli.authoring import cmd_import_checklist
from readiness.cli.common import EXIT_FAIL, EXIT_UNKNOWN, make_console
from readiness.cli.evaluate import cmd_check, cmd_evaluate
from readiness.cli.history import (
    cmd_forecast,
    cmd_gate,
    cmd_history,
    cmd_init_warehouse,
    cmd_status,
    cmd_transfer,
)
from readiness.cli.parser import build_parser
from readiness.support.errors import ConfigError


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    err = make_console(stderr=True)
    try:
        from readiness.spec.config import load_settings

        settings = load_settings(args.config)
        handler = {
            "check": cmd_check,
            "evaluate": cmd_evaluate,
            "gate": cmd_gate,
            "status": cmd_status,
            "forecast": cmd_forecast,
            "history": cmd_history,
            "init-warehouse": cmd_init_warehouse,
            "transfer": cmd_transfer,
            "report": cmd_report,
            "import-checklist": cmd_import_checklist,
            "oscal": cmd_oscal,
            "verify": cmd_verify,
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


if __name__ == "__main__":
    sys.exit(main())

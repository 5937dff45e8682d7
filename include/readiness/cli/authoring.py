"""``readiness import-checklist``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from readiness.spec.config import Settings

    pass
from readiness.cli.common import EXIT_FAIL, EXIT_OK, make_console


def cmd_import_checklist(args: argparse.Namespace, settings: Settings) -> int:
    """Import, then load the result with the same loader as ``check``: what is written is
    a checklist ``readiness check`` accepts, or the command fails."""
    import tempfile

    from readiness.authoring.importer import import_file
    from readiness.spec.loader import parse_checklist

    err = make_console(stderr=True, highlight=False, markup=False, soft_wrap=True)
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

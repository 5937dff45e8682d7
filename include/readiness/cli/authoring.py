"""``readiness import-checklist``."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from readiness.cli.common import EXIT_FAIL, EXIT_OK, make_console

if TYPE_CHECKING:
    from readiness.spec.config import Settings


def cmd_import_checklist(args: argparse.Namespace, settings: Settings) -> int:
    """Import, then load the result with the same loader as ``check``: what is written is
    a checklist ``readiness check`` accepts, or the command fails. Notes (what was guessed)
    come only once there is a checklist to guess about, and the review summary last."""
    from readiness.authoring.importer import Document, ImportProblem, import_documents
    from readiness.spec.loader import parse_checklist

    err = make_console(stderr=True, highlight=False, markup=False, soft_wrap=True)
    paths: list[Path] = args.files
    documents = []
    limit = int(settings.max_document_bytes)  # the bound every document read obeys
    for path in paths:
        try:
            with path.open("rb") as handle:
                raw = handle.read(limit + 1)
            if len(raw) > limit:
                err.print(f"error: {path}: larger than {limit} bytes (setting max_document_bytes)")
                return EXIT_FAIL
            documents.append(Document(str(path), raw.decode("utf-8")))
        except (OSError, UnicodeDecodeError) as exc:
            err.print(f"error: {path}: cannot read: {exc}")
            return EXIT_FAIL
    levels = [p.strip() for p in args.levels.split(",") if p.strip()] if args.levels else None
    try:
        result = import_documents(documents, args.required_from, levels, args.files_as)
    except ImportProblem as exc:
        err.print(f"error: {exc}")
        return EXIT_FAIL
    names = ", ".join(str(p) for p in paths)
    if not result.items:
        err.print(
            f"error: {names}: no checklist items found (Markdown tables or task lists under "
            "headings, numbered sections with '# Item Status check Evidence' tables, or "
            "bullet lists); see docs/checklists.md, 'Importing a checklist'"
        )
        return EXIT_FAIL
    shown = args.output.name if args.output else "the imported checklist"
    text = result.yaml(names)
    with tempfile.TemporaryDirectory() as folder:
        probe = Path(folder) / "imported.yaml"
        probe.write_text(text, encoding="utf-8")
        _checklist, problems = parse_checklist(probe)
    own = tuple(f"{p}:" for p in paths)
    for line, message in result.notes:
        if len(paths) == 1 and not message.startswith(
            own
        ):  # the seeds' reader numbers lines of its one file
            message = f"{paths[0]}:{line}: {message}" if line else f"{paths[0]}: {message}"
        err.print(message)
    if problems:
        for problem in problems:
            err.print(f"error: {str(problem).replace(str(probe), shown)}")
        return EXIT_FAIL
    if args.output:
        args.output.write_text(text, encoding="utf-8")
        err.print(f"wrote {args.output}: {result.items} items, {result.review} marked for review")
    else:
        sys.stdout.write(text)
    if result.summary:
        err.print(result.summary)
    return EXIT_OK

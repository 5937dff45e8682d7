"""A throwaway project folder, as docs/onboarding.md lays one out, for tests and benches
that evaluate a checklist end to end through the CLI."""

from __future__ import annotations

import contextlib
import io
import json
import os
from pathlib import Path
from typing import Any

from readiness.cli.main import main


def evaluate_imported(
    folder: Path, checklist_text: str, spec: str, evidence: dict[str, str], as_of: str
) -> tuple[int, dict[str, Any], str]:
    """A project laid out as docs/onboarding.md says (one checklist, one spec for
    ``orders-service``, its evidence), evaluated once with ``readiness evaluate --json``:
    the exit code, the JSON report and what it printed on stderr."""
    for path, text in {
        "readiness.yaml": "checklists: [checklists]\nservices: [services]\n"
        "evidence_root: evidence\nhistory: duckdb://var/history.duckdb\noutbox: var/outbox\n",
        "checklists/imported.yaml": checklist_text,
        "services/orders-service.yaml": spec,
        **{f"evidence/orders-service/{k}": v for k, v in evidence.items()},
    }.items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_text(text, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    old = os.environ.get("READINESS_HOME")
    os.environ["READINESS_HOME"] = str(folder)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["evaluate", "--as-of", as_of, "--json"])
    finally:
        if old is None:
            os.environ.pop("READINESS_HOME", None)
        else:
            os.environ["READINESS_HOME"] = old
    return code, json.loads(out.getvalue() or "{}"), err.getvalue()

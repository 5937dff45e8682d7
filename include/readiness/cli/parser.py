"""The ``readiness`` command line's arguments (docs/design.md §4)."""

from __future__ import annotations

import argparse
from datetime import timedelta
from pathlib import Path

from readiness.cli.common import duration_arg, timestamp_arg


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
    ev.add_argument("--as-of", type=timestamp_arg, help="evaluate as of this moment (ISO-8601)")
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
        type=duration_arg,
        default=timedelta(days=2),
        help="an evaluation older than this is unknown (default 2d)",
    )
    gate.add_argument(
        "--as-of",
        type=timestamp_arg,
        help="what the gate said at this moment, from the signed verdict in force then",
    )

    verify = sub.add_parser(
        "verify",
        help="check that history is what was signed: chain, signatures, tables; exit 0 or 1",
    )
    verify.add_argument("service", nargs="?", help="one service (default: every service)")
    verify.add_argument(
        "--since", type=timestamp_arg, help="check the runs evaluated since (ISO-8601)"
    )
    verify.add_argument(
        "--rederive",
        action="store_true",
        help="also score each run again from the evidence archive",
    )
    verify.add_argument("--json", action="store_true", help="one JSON document on stdout")
    verify.add_argument(
        "--export",
        type=Path,
        metavar="FILE",
        help="also write the verdicts' envelopes, in chain order, as JSON Lines (the file an "
        "auditor checks offline, docs/audit.md)",
    )

    status = sub.add_parser("status", help="current level and failing items from history")
    status.add_argument("service", nargs="?")
    status.add_argument("--json", action="store_true")

    ahead = sub.add_parser(
        "forecast",
        help="when each service's level lapses if nothing is renewed, and which items cause it",
    )
    ahead.add_argument("service", nargs="?")
    ahead.add_argument("--days", type=int, default=30, help="how far ahead (default: 30)")
    ahead.add_argument(
        "--as-of", type=timestamp_arg, help="forecast from this moment (default: now)"
    )
    ahead.add_argument("--json", action="store_true")

    warehouse = sub.add_parser(
        "init-warehouse",
        help="create the history dataset, tables and views if missing (idempotent)",
    )
    warehouse.add_argument(
        "--views", action="store_true", help="recreate the views even if their SQL is unchanged"
    )

    move = sub.add_parser(
        "transfer",
        help="load the runs waiting as shards (history_transfer) into history and sign their "
        "verdicts, in one batch (what the readiness__history_transfer DAG runs)",
    )
    move.add_argument(
        "--limit", type=int, default=None, help="at most this many shards (history_transfer_batch)"
    )
    move.add_argument("--json", action="store_true")

    report = sub.add_parser(
        "report", help="the quarterly report (Markdown and HTML) from the history tables"
    )
    report.add_argument("--quarter", help="e.g. 2026Q4 (default: the quarter that ended last)")
    report.add_argument(
        "--out", help="write here instead of the configured report store (folder or gs://)"
    )
    report.add_argument(
        "--as-of", type=timestamp_arg, help="count up to this moment (default: now)"
    )
    report.add_argument("--json", action="store_true", help="the figures as JSON on stdout")

    oscal = sub.add_parser(
        "oscal", help="a service's evaluation as an OSCAL 1.2.1 assessment-results document"
    )
    oscal.add_argument("service")
    oscal.add_argument("--run-id", help="which evaluation (default: the latest)")
    oscal.add_argument("-o", "--output", type=Path, help="write here (default: stdout)")

    importer = sub.add_parser(
        "import-checklist",
        help="turn readiness documents (Markdown tables or task lists, the seeds' layouts, "
        "HTML) into checklist YAML",
    )
    importer.add_argument(
        "files",
        type=Path,
        nargs="+",
        metavar="file",
        help="the readiness document(s): several make one checklist (design.md "
        "pre-production.md), with any page that only lists the levels",
    )
    importer.add_argument("-o", "--output", type=Path, help="write the YAML here (default: stdout)")
    importer.add_argument(
        "--required-from",
        help="level for items whose section names none (default: the level the document "
        "targets, else the highest)",
    )
    importer.add_argument(
        "--levels",
        help="the levels, lowest first (C,B,A), when the documents do not order them",
    )
    importer.add_argument(
        "--files-as",
        choices=("phases", "sections"),
        default="phases",
        help="with several files: each is a phase whose sections keep their own (default), "
        "or each is one section",
    )

    history = sub.add_parser("history", help="level timeline and item transitions")
    history.add_argument("service")
    history.add_argument("--since", type=timestamp_arg)
    history.add_argument("--item", help="only this item's transitions")
    history.add_argument("--json", action="store_true")
    return parser

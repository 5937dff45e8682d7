"""What every command shares: exit codes, the console, argument types."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timedelta
from typing import Any

from rich.console import Console

from readiness.support.timeutil import parse_duration, parse_timestamp

EXIT_OK, EXIT_FAIL, EXIT_UNKNOWN = 0, 1, 2


def make_console(*, stderr: bool = False, **options: Any) -> Console:
    """A console that never wraps a line it prints when its stream is not a terminal (CI
    logs, pipes): one problem stays one line, so ``grep`` finds the file and the field
    together. Tables still fit the width."""
    stream = sys.stderr if stderr else sys.stdout
    if not stream.isatty():
        options.setdefault("soft_wrap", True)
    return Console(stderr=stderr, **options)


def timestamp_arg(text: str) -> datetime:
    try:
        return parse_timestamp(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected an ISO-8601 timestamp, got {text!r}") from exc


def duration_arg(text: str) -> timedelta:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc

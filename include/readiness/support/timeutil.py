"""Durations, timestamps and quarters. Everything is timezone-aware UTC: evidence from
many teams and regions is only comparable on one clock."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

_DURATION = re.compile(r"^\s*(\d+)\s*(s|m|h|d|w)\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(text: str) -> timedelta:
    """Parse ``90d``, ``12h``, ``30m``, ``2w`` or ``5s``; raise ValueError naming the forms."""
    match = _DURATION.match(str(text))
    if not match:
        raise ValueError(f"expected a duration like 30s, 30m, 12h, 90d or 2w, got {text!r}")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def format_duration(delta: timedelta) -> str:
    """Inverse of :func:`parse_duration` for whole days/hours/minutes."""
    seconds = int(delta.total_seconds())
    if seconds % 86400 == 0:
        return f"{seconds // 86400}d"
    if seconds % 3600 == 0:
        return f"{seconds // 3600}h"
    return f"{seconds // 60}m"


def parse_timestamp(value: object) -> datetime:
    """Parse an ISO-8601 date or timestamp into an aware UTC datetime (naive means UTC)."""
    if isinstance(value, datetime):
        ts = value
    elif isinstance(value, date):
        ts = datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        text = value.strip()
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"
        ts = datetime.fromisoformat(text)
    else:
        raise ValueError(f"expected an ISO-8601 timestamp, got {value!r}")
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    return ts.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def quarter_of(day: date) -> tuple[int, int]:
    """(year, quarter) containing ``day``."""
    return day.year, (day.month - 1) // 3 + 1


def quarter_start(year: int, quarter: int) -> date:
    return date(year, 3 * (quarter - 1) + 1, 1)


def quarter_end(year: int, quarter: int) -> date:
    """Last day of the quarter."""
    if quarter == 4:
        return date(year, 12, 31)
    return quarter_start(year, quarter + 1) - timedelta(days=1)


def next_quarter(year: int, quarter: int) -> tuple[int, int]:
    return (year + 1, 1) if quarter == 4 else (year, quarter + 1)


def previous_quarter(year: int, quarter: int) -> tuple[int, int]:
    return (year - 1, 4) if quarter == 1 else (year, quarter - 1)


def attestation_expiry(signed_at: datetime, valid_for: timedelta | None = None) -> date:
    """Last day an attestation counts: the end of the quarter after the one it was signed in
    (docs/design.md §2), unless the item gives its own validity."""
    if valid_for is not None:
        return (signed_at + valid_for).date()
    year, quarter = next_quarter(*quarter_of(signed_at.date()))
    return quarter_end(year, quarter)


def quarter_label(year: int, quarter: int) -> str:
    """``2026Q4``: how quarters are named in reports, issues and episode ids."""
    return f"{year}Q{quarter}"


def previous_quarter_label(day: date) -> str:
    """The quarter that ended last before ``day``'s quarter (what a quarterly run reports)."""
    return quarter_label(*previous_quarter(*quarter_of(day)))


def parse_quarter(text: str) -> tuple[int, int]:
    """Parse ``2026Q4``."""
    match = re.fullmatch(r"(\d{4})Q([1-4])", text.strip().upper())
    if not match:
        raise ValueError(f"expected a quarter like 2026Q4, got {text!r}")
    return int(match.group(1)), int(match.group(2))

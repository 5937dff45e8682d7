"""The daily tick, spread: each service's cron moved by a deterministic offset inside the
hour it names, so 10,000 services on ``0 5 * * *`` do not all fall due in one minute.

Airflow's scheduler creates at most ``max_dagruns_to_create_per_loop`` (10) runs a loop:
10,000 ticks in the same minute queue behind each other for a thousand loops, and the
history writes behind them meet the warehouse's DML limits all at once. An offset derived
from the service's name (never random) keeps every service's tick the same from parse to
parse and run to run, so run ids, the Deadline Alert and the portfolio's "late" all read
the service's own tick."""

from __future__ import annotations

import hashlib
import re

_INT = re.compile(r"\d{1,2}")
_MACROS = {"@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *"}


def tick_offset(service: str, span: int) -> int:
    """0 … span-1, the same for a service on every machine (sha256, not ``hash()``)."""
    if span <= 1:
        return 0
    return int.from_bytes(hashlib.sha256(service.encode()).digest()[:8], "big") % span


def spread_tick(cron: str, service: str, minutes: int) -> str:
    """``cron`` with its minute moved by the service's offset, staying inside the hour it
    fires in (a tick at :00 spreads over :00–:59 at most; at :50, over :50–:59). Only a cron
    that fires at one fixed minute is moved; any other (``*/15 …``, ``@weekly``) is kept as
    written, as is every cron when ``minutes`` is 0 or 1."""
    fields = _MACROS.get(cron.strip(), cron).split()
    if minutes <= 1 or len(fields) != 5 or not _INT.fullmatch(fields[0]):
        return cron
    minute = int(fields[0])
    if minute > 59:
        return cron
    span = min(minutes, 60 - minute)
    fields[0] = str(minute + tick_offset(service, span))
    return " ".join(fields)

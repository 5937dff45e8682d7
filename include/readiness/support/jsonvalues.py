"""The one walk from evidence values (pandas, numpy, datetimes) to JSON types, used by
every place that writes JSON: history rows, issue bodies, XCom payloads, GX signatures."""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any


def jsonable(value: Any, *, typed: bool = False) -> Any:
    """Plain JSON types. Timestamps become ISO strings, or with ``typed`` the tagged
    ``{"$datetime": …}`` / ``{"$date": …}`` that ``decode`` turns back into the same type
    (an XCom must round-trip a run's evidence exactly, NaN included)."""
    if value is None or isinstance(value, (bool, str, int)):
        return value
    if isinstance(value, float):
        return value if typed or not math.isnan(value) else None
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()} if typed else value.isoformat()
    if isinstance(value, date):
        return {"$date": value.isoformat()} if typed else value.isoformat()
    if isinstance(value, dict):
        return {str(k): jsonable(v, typed=typed) for k, v in value.items()}
    if isinstance(value, (list, tuple)) or (isinstance(value, set) and not typed):
        return [jsonable(v, typed=typed) for v in value]
    if not typed:
        iso = getattr(value, "isoformat", None)
        if callable(iso):  # pandas Timestamp
            try:
                return iso()
            except ValueError:  # NaT
                return None
    item = getattr(value, "item", None)
    if callable(item):  # numpy scalar
        return jsonable(item(), typed=typed)
    return str(value)


def decode(value: Any) -> Any:
    """The inverse of ``jsonable(value, typed=True)``."""
    if isinstance(value, dict):
        if len(value) == 1 and "$datetime" in value:
            return datetime.fromisoformat(value["$datetime"])
        if len(value) == 1 and "$date" in value:
            return date.fromisoformat(value["$date"])
        return {k: decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value

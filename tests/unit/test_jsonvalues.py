"""One JSON walk for every writer: plain for history and issue bodies, typed for XComs."""

from __future__ import annotations

import json
import math
from datetime import UTC, date, datetime

import numpy as np
import pandas as pd

from readiness.support.jsonvalues import decode, jsonable

VALUES = {
    "at": datetime(2026, 11, 20, 6, 0, tzinfo=UTC),
    "day": date(2026, 11, 20),
    "count": np.int64(3),
    "ratio": np.float64(0.5),
    "nested": [{"ok": True}, ("a", None)],
}


def test_plain_values_are_iso_strings_and_nan_is_null() -> None:
    plain = jsonable({**VALUES, "nan": float("nan"), "ts": pd.Timestamp("2026-11-20T06:00Z")})
    assert plain["at"] == "2026-11-20T06:00:00+00:00"
    assert plain["day"] == "2026-11-20"
    assert plain["count"] == 3 and plain["ratio"] == 0.5
    assert plain["nan"] is None
    assert plain["ts"] == "2026-11-20T06:00:00+00:00"
    assert plain["nested"] == [{"ok": True}, ["a", None]]
    json.dumps(plain, allow_nan=False)


def test_typed_values_round_trip_through_json() -> None:
    typed = json.loads(json.dumps(jsonable({**VALUES, "nan": float("nan")}, typed=True)))
    back = decode(typed)
    assert back["at"] == VALUES["at"] and isinstance(back["at"], datetime)
    assert back["day"] == VALUES["day"] and type(back["day"]) is date
    assert back["count"] == 3 and back["ratio"] == 0.5
    assert math.isnan(back["nan"])

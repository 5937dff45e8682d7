from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from readiness.collectors.attestation.collector import COLLECTOR
from readiness.testing.collectors import request


def sign(store: Path, role: str, when: str, item: str = "X1") -> None:
    folder = store / "attestation"
    folder.mkdir(exist_ok=True)
    (folder / f"{role}-{when[:10]}.json").write_text(
        json.dumps(
            {
                "item": item,
                "role": role,
                "signer": f"{role}@x",
                "signed_at": when,
                "statement": "ok",
            }
        )
    )


def test_one_row_per_role_and_expiry_at_end_of_next_quarter(tmp_path: Path) -> None:
    sign(tmp_path, "SRE", "2026-08-15T10:00:00Z")  # Q3 -> counts until 2026-12-31
    ev = COLLECTOR.collect(request({}, tmp_path, roles=("SRE", "Security")))
    assert [(r["role"], r["signer"]) for r in ev.rows] == [("SRE", "SRE@x"), ("Security", None)]
    assert ev.rows[0]["expires_on"] == "2026-12-31"
    assert ev.expires_at == datetime(2027, 1, 1, tzinfo=UTC)


def test_newest_signature_wins_and_future_ones_are_invisible(tmp_path: Path) -> None:
    sign(tmp_path, "SRE", "2026-04-02T10:00:00Z")
    sign(tmp_path, "SRE", "2026-10-02T10:00:00Z")
    sign(tmp_path, "SRE", "2027-01-05T10:00:00Z")
    ev = COLLECTOR.collect(request({"roles": ["SRE"]}, tmp_path))
    assert ev.rows[0]["signed_at"] == datetime(2026, 10, 2, 10, tzinfo=UTC)
    assert ev.rows[0]["expires_on"] == "2027-03-31"


def test_nobody_signed_is_missing(tmp_path: Path) -> None:
    sign(tmp_path, "SRE", "2026-10-02T10:00:00Z", item="OTHER")
    ev = COLLECTOR.collect(request({"roles": ["SRE"]}, tmp_path))
    assert not ev.found


def test_valid_for_overrides_the_quarter_rule(tmp_path: Path) -> None:
    sign(tmp_path, "SRE", "2026-01-10T00:00:00Z")
    ev = COLLECTOR.collect(request({"roles": ["SRE"], "valid_for": "365d"}, tmp_path))
    assert ev.rows[0]["expires_on"] == "2027-01-10"

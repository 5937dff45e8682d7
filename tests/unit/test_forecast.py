"""The forecast: each satisfied item's clock, replayed through the level rule."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from readiness.domain.forecast import ItemClock, clock, forecast
from readiness.domain.model import Level

LEVELS = tuple(Level(id=f"L{i}", name=f"n{i}", rank=i) for i in range(4))
NOW = datetime(2027, 1, 1, 6, tzinfo=UTC)


def _clock(item: str, frm: str, stops: int | None, until: str | None = None) -> ItemClock:
    return ItemClock(
        item, f"title {item}", frm, until, True,
        NOW + timedelta(days=stops) if stops is not None else None, f"why {item}",
    )  # fmt: skip


def test_the_next_lapse_is_the_first_moment_the_level_drops_with_its_causes() -> None:
    clocks = [
        _clock("A", "L0", None),
        _clock("B", "L1", 20),
        _clock("C", "L3", 5),  # takes L3 away first
        _clock("D", "L3", 5, until="L3"),
    ]
    f = forecast("svc", LEVELS, clocks, level_now="L3", target="L2", as_of=NOW,
                 until=NOW + timedelta(days=30))  # fmt: skip
    assert f.next is not None and f.next.at == NOW + timedelta(days=5)
    assert (f.next.level, f.next.falls_to) == ("L3", "L2")
    assert [c.item_id for c in f.next.causes] == ["C", "D"]
    assert f.below_target is not None and f.below_target.at == NOW + timedelta(days=20)
    assert (f.below_target.level, f.below_target.falls_to) == ("L2", "L0")
    assert f.words().startswith("L3 lapses on 2027-01-06 (falls to L2): C title C: why C")
    assert [c.item_id for c in f.due] == ["C", "D", "B"]


def test_nothing_due_within_the_horizon_holds() -> None:
    f = forecast("svc", LEVELS, [_clock("A", "L0", 90)], level_now="L3", target="L3",
                 as_of=NOW, until=NOW + timedelta(days=30))  # fmt: skip
    assert f.next is None and f.below_target is None and f.due == ()
    assert f.words() == "L3 holds for the next 30d if nothing else changes"


def test_a_level_held_down_by_history_never_rises_in_the_forecast() -> None:
    """A cap (an exemption pending) may hold a service below what its items reach."""
    clocks = [_clock("A", "L0", None), _clock("B", "L2", 3)]
    f = forecast("svc", LEVELS, clocks, level_now="L1", target="L1", as_of=NOW,
                 until=NOW + timedelta(days=30))  # fmt: skip
    assert f.next is None  # B lapsing takes L2 away, which the service does not hold


def test_an_item_failing_now_keeps_its_level_out_of_reach() -> None:
    failing = ItemClock("F", "t", "L1", None, False)
    f = forecast("svc", LEVELS, [failing, _clock("A", "L0", 2)], level_now="L0",
                 target="L1", as_of=NOW, until=NOW + timedelta(days=30))  # fmt: skip
    assert f.next is not None and (f.next.level, f.next.falls_to) == ("L0", "none")
    assert f.below_target is None  # already below target


def test_clocks_from_evidence_sign_offs_and_waivers() -> None:
    stale = clock(item_id="RP3", title="Weekly restore drill", required_from="L2",
                  required_until=None, effective_status="pass",
                  observed_at=datetime(2027, 1, 3, tzinfo=UTC), max_age=timedelta(days=8),
                  expires_at=None, waiver_expires=None)  # fmt: skip
    assert stale.stops_at == datetime(2027, 1, 11, tzinfo=UTC)
    assert stale.why == "evidence from 2027-01-03 turns older than max_age 8d"
    signed = clock(item_id="SO2", title="SRE sign-off", required_from="L2",
                   required_until=None, effective_status="pass",
                   observed_at=datetime(2026, 12, 1, tzinfo=UTC), max_age=None,
                   expires_at=datetime(2027, 4, 1, tzinfo=UTC), waiver_expires=None)  # fmt: skip
    assert signed.stops_at == datetime(2027, 4, 1, tzinfo=UTC)
    assert signed.why == "sign-off expires after 2027-03-31"
    waived = clock(item_id="W1", title="t", required_from="L1", required_until=None,
                   effective_status="waived", observed_at=None, max_age=None,
                   expires_at=None, waiver_expires=date(2027, 2, 14))  # fmt: skip
    assert waived.stops_at == datetime(2027, 2, 15, tzinfo=UTC)
    failing = clock(item_id="X", title="t", required_from="L1", required_until=None,
                    effective_status="stale", observed_at=None, max_age=None,
                    expires_at=None, waiver_expires=None)  # fmt: skip
    assert not failing.satisfied and failing.stops_at is None


def test_the_json_names_the_next_lapse_and_what_falls_due() -> None:
    f = forecast("svc", LEVELS, [_clock("A", "L0", 4)], level_now="L3", target="L3",
                 as_of=NOW, until=NOW + timedelta(days=30), renewed_by_tooling=2)  # fmt: skip
    data = f.as_json()
    assert data["next_lapse"]["falls_to"] == "none"
    assert data["below_target"]["at"] == "2027-01-05T06:00:00+00:00"
    assert [d["item_id"] for d in data["due"]] == ["A"] and data["renewed_by_tooling"] == 2

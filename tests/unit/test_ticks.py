"""The spread daily tick: deterministic, inside the tick's hour, and even across a fleet."""

from __future__ import annotations

from collections import Counter

from readiness.domain.ticks import spread_tick, tick_offset


def test_a_tick_moves_by_the_same_offset_every_time_inside_its_hour() -> None:
    spread = spread_tick("0 5 * * *", "file-storage-service", 60)
    assert spread == spread_tick("0 5 * * *", "file-storage-service", 60)
    minute, rest = spread.split(" ", 1)
    assert rest == "5 * * *" and 0 <= int(minute) < 60
    weekdays = spread_tick("50 5 * * 1-5", "x", 60).split(" ", 1)
    assert 50 <= int(weekdays[0]) <= 59 and weekdays[1] == "5 * * 1-5"
    assert all(
        50 <= int(spread_tick("50 5 * * *", f"s{i}", 60).split()[0]) <= 59 for i in range(200)
    )
    assert spread_tick("@daily", "file-storage-service", 60).endswith(" 0 * * *")


def test_crons_without_one_fixed_minute_and_no_spread_are_kept() -> None:
    for cron in ("*/15 * * * *", "0,30 5 * * *", "@weekly", "0 5 * *"):
        assert spread_tick(cron, "svc", 60) == cron
    assert spread_tick("0 5 * * *", "svc", 0) == "0 5 * * *"
    assert tick_offset("svc", 1) == 0


def test_ten_thousand_services_spread_evenly_over_the_hour() -> None:
    minutes = Counter(
        int(spread_tick("0 5 * * *", f"service-{i:05d}", 60).split()[0]) for i in range(10_000)
    )
    assert len(minutes) == 60
    # 10,000 / 60 ≈ 167 a minute; no minute more than 1.3 times that
    assert max(minutes.values()) < 1.3 * 10_000 / 60, minutes.most_common(3)

"""The report's regressions table says why an episode has no issue (issue 15: RP4 regressed
on 2026-12-21 in make quarter's report and showed "-")."""

from __future__ import annotations

from datetime import UTC, datetime

from readiness.audit.reports.quarterly import Episode, ServiceQuarter
from readiness.audit.reports.render import regression_rows


def _episode(item: str, required_from: str, key: str | None) -> Episode:
    return Episode(
        item_id=item,
        title=item,
        severity="high",
        required_from=required_from,
        opened_at=datetime(2026, 12, 21, 5, tzinfo=UTC),
        closed_at=None,
        issue_key=key,
    )


def test_an_episode_without_an_issue_says_why() -> None:
    sq = ServiceQuarter(
        service="file-storage-service",
        target_level="L3",
        level_at_start="L2",
        level_at_end="L3",
        evaluated_at_end=None,
        timeline=[],
        levels={i: f"L{i}" for i in range(5)},
        observed_seconds=0.0,
        below_target_seconds=0.0,
        episodes=[_episode("RP4", "L4", None), _episode("RP3", "L2", "OUT-3")],
        opened=1,
        closed=0,
        failing_longest=[],
    )
    rows = regression_rows(sq, str, lambda _kind, text: text)
    issues = {row[0]: row[-1] for row in rows}
    assert issues == {"RP4": "none: L4 is above the target L3", "RP3": "OUT-3"}

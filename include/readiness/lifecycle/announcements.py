"""What a team is told, where it already is (Slack, e-mail), about its service's level: a
downgrade, a recovery, a pre-lapse notice. Channel-neutral: the Airflow glue renders each
for its notifier, and the ``notifications`` history table makes each go out once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from readiness.domain.forecast import evaluation_forecast
from readiness.domain.model import ServiceEvaluation
from readiness.history import IssueLink
from readiness.lifecycle.notices import DEFAULT_NOTICE_DAYS, LAPSE_ITEM

Kind = Literal["downgrade", "recovery", "lapse-notice", "late"]


@dataclass(frozen=True)
class Announcement:
    #: stable across task retries and re-runs of the same run: the ledger's key
    id: str
    kind: Kind
    service: str
    team: str
    run_id: str
    at: datetime
    #: one line: what happened (the Slack text's first line, the mail's subject)
    headline: str
    #: the detail, a line each
    lines: tuple[str, ...] = ()
    #: (label, url) of the issues it refers to; only http(s) URLs are ever kept
    links: tuple[tuple[str, str], ...] = ()

    def delivery_id(self, channel: str) -> str:
        return f"{self.id}|{channel}"

    def ledger_row(self, channel: str, connection_id: str, sent_at: datetime) -> dict[str, Any]:
        return {
            "event_id": self.delivery_id(channel),
            "announcement_id": self.id,
            "service": self.service,
            "kind": self.kind,
            "channel": channel,
            "connection_id": connection_id,
            "run_id": self.run_id,
            "subject": self.headline,
            "occurred_at": self.at,
            "sent_at": sent_at,
        }


def _web(url: str | None) -> bool:
    return bool(url) and str(url).startswith(("https://", "http://"))


def _issue_links(links: Sequence[IssueLink]) -> tuple[tuple[str, str], ...]:
    return tuple((lk.issue_key, lk.url) for lk in links if _web(lk.url))


def _issues_line(links: Sequence[IssueLink]) -> tuple[str, ...]:
    return (f"Issues: {', '.join(lk.issue_key for lk in links)}",) if links else ()


def announcements(
    ev: ServiceEvaluation, links: Sequence[IssueLink], notice_days: int = DEFAULT_NOTICE_DAYS
) -> list[Announcement]:
    """The announcements a recorded run makes, given the service's issue links after its
    sync: a level lower than the last run's, a higher one, a pre-lapse notice it opened."""
    rank = ev.checklist.rank
    opened = [lk for lk in links if lk.opened_run_id == ev.run_id]
    regressions = [lk for lk in opened if lk.item_id != LAPSE_ITEM]
    where = f"as of {ev.evaluated_at.date().isoformat()} (run {ev.run_id})"
    found: list[Announcement] = []
    common = dict(service=ev.service, team=ev.spec.owner_team, run_id=ev.run_id, at=ev.evaluated_at)
    if ev.previous_level is not None and ev.previous_level != ev.achieved_level:
        fell = rank(ev.achieved_level) < rank(ev.previous_level)
        if fell:
            failing = [f"{r.item.id} {r.item.title}: {r.effective_status}" for r in ev.regressions]
            found.append(
                Announcement(
                    id=f"downgrade:{ev.run_id}",
                    kind="downgrade",
                    headline=(
                        f"{ev.service} fell to {ev.achieved_level} from {ev.previous_level} "
                        f"(target {ev.target_level})"
                    ),
                    lines=(where, *failing[:20], *_issues_line(regressions)),
                    links=_issue_links(regressions),
                    **common,  # type: ignore[arg-type]
                )
            )
        else:
            found.append(
                Announcement(
                    id=f"recovery:{ev.run_id}",
                    kind="recovery",
                    headline=(
                        f"{ev.service} is back at {ev.achieved_level} from {ev.previous_level} "
                        f"(target {ev.target_level})"
                    ),
                    lines=(where,),
                    **common,  # type: ignore[arg-type]
                )
            )
    for notice in (lk for lk in opened if lk.item_id == LAPSE_ITEM):
        # what to renew, with titles and why, as the notice lists it (its record keeps ids)
        lapse = evaluation_forecast(ev, notice_days).below_target
        renew = (
            tuple(f"Renew {c.item_id} {c.title}: {c.why}" for c in lapse.causes[:20])
            if lapse
            else (f"Renew: {notice.last_reason.removeprefix('causes: ')}",)
        )
        found.append(
            Announcement(
                id=f"notice:{notice.episode_id}",
                kind="lapse-notice",
                headline=notice.title,
                lines=(where, *renew, f"Pre-lapse notice: {notice.issue_key}"),
                links=_issue_links([notice]),
                **common,  # type: ignore[arg-type]
            )
        )
    return found


def late_run(
    service: str, team: str, dag_run_id: str, due: datetime, deadline_minutes: int
) -> Announcement:
    """A run that had not succeeded by its deadline (an Airflow Deadline Alert)."""
    return Announcement(
        id=f"late:{service}@{dag_run_id}",
        kind="late",
        service=service,
        team=team,
        run_id=dag_run_id,
        at=due,
        headline=(
            f"{service}'s readiness run {dag_run_id} is late: not done {deadline_minutes} "
            "minutes after its scheduled time"
        ),
        lines=(
            f"Deadline passed at {due.isoformat()}. Its level in history is the last run's "
            "until this one succeeds.",
        ),
    )

"""Pre-lapse notices: an issue ``lapse_notice_days`` before a lapse that would take a
service below its target, while there is still time to renew.

One per service per lapse episode (named after the level and the moment it lapses, so a
retry or a second run the same day opens nothing new); closed as ``renewed`` when the
forecast no longer shows that lapse, or as ``lapsed`` when it happened anyway, and the
regression issues of the items that caused it name it."""

from __future__ import annotations

import logging

from readiness.domain.forecast import LevelLapse, evaluation_forecast
from readiness.domain.model import ServiceEvaluation
from readiness.history import HistoryStore, IssueLink
from readiness.support.markdown import code_span, escape
from readiness.support.timeutil import utcnow
from readiness.trackers import IssueDocument, IssueRef, IssueTracker, SyncReport, TrackerError

log = logging.getLogger(__name__)
#: The issue link's item id: at most one notice is open per service.
LAPSE_ITEM = "lapse-notice"
DEFAULT_NOTICE_DAYS = 7


def lapse_episode(service: str, lapse: LevelLapse) -> str:
    return f"lapse:{service}:{lapse.level}@{lapse.at.isoformat()}"


def _causes(lapse: LevelLapse) -> str:
    return "causes: " + ", ".join(c.item_id for c in lapse.causes)


def _body(ev: ServiceEvaluation, lapse: LevelLapse) -> str:
    lines = [
        f"{escape(ev.service)} is at {ev.achieved_level} (target {ev.target_level}). If "
        f"nothing is renewed, it falls to {lapse.falls_to} on "
        f"{lapse.at.strftime('%Y-%m-%d %H:%M UTC')}, below its target.",
        "",
        "To renew before then:",
        "",
        "| item | why it stops counting |",
        "| --- | --- |",
    ]
    lines += [f"| {escape(c.item_id)} {escape(c.title)} | {escape(c.why)} |" for c in lapse.causes]
    lines += [
        "",
        f"Forecast by run {code_span(ev.run_id)} at {ev.evaluated_at.isoformat()} "
        f"({code_span('readiness forecast ' + ev.service)}). This issue closes by itself "
        "when the evidence is renewed.",
        "",
        f"_Opened by readiness for lapse {code_span(lapse_episode(ev.service, lapse))}._",
    ]
    return "\n".join(lines)


def forecast_notice(links: list[IssueLink]) -> IssueLink | None:
    """The service's open pre-lapse notice, if any."""
    return next((lk for lk in links if lk.item_id == LAPSE_ITEM and lk.state == "open"), None)


def sync_lapse_notice(
    ev: ServiceEvaluation,
    links: list[IssueLink],
    history: HistoryStore,
    tracker: IssueTracker,
    report: SyncReport,
    notice_days: int = DEFAULT_NOTICE_DAYS,
) -> None:
    """Open, keep or close the service's pre-lapse notice from this evaluation."""
    now = utcnow()
    lapse = evaluation_forecast(ev, notice_days).below_target if notice_days > 0 else None
    episode = lapse_episode(ev.service, lapse) if lapse else None
    current = forecast_notice(links)
    known = {lk.episode_id for lk in links}
    try:
        if current is not None and current.episode_id != episode:
            below = ev.checklist.rank(ev.achieved_level) < ev.checklist.rank(ev.target_level)
            words = (
                f"The lapse happened: {ev.service} is at {ev.achieved_level}, below its target "
                f"{ev.target_level}, as of {ev.evaluated_at.isoformat()} (run "
                f"{code_span(ev.run_id)}). The items' regression issues follow it."
                if below
                else f"Renewed: as of {ev.evaluated_at.isoformat()} (run {code_span(ev.run_id)}) "
                f"no lapse below target {ev.target_level} is forecast within {notice_days} days."
            )
            tracker.close(IssueRef.of(current), words, at=ev.evaluated_at)
            history.save_link(current.closed(now, "lapsed" if below else "renewed"))
            report.closed.append(current.issue_key)
            current = None
        if lapse is not None and current is None and episode not in known:
            doc = IssueDocument(
                episode_id=episode or "",
                service=ev.service,
                item_id=LAPSE_ITEM,
                team_key=ev.spec.tracker_team,
                title=(
                    f"{ev.service}: {lapse.level} lapses on {lapse.at.date()} unless renewed "
                    f"(target {ev.target_level}): {', '.join(c.item_id for c in lapse.causes)}"
                )[:250],
                body=_body(ev, lapse),
                labels=(f"service:{ev.service}", "readiness", "lapse-notice"),
                priority=3,
                due_date=lapse.at.date(),
                at=ev.evaluated_at,
            )
            ref = tracker.open(doc)
            history.save_link(
                IssueLink.opened(doc, ref, tracker.name, ev.run_id, now, _causes(lapse))
            )
            report.opened.append(ref.issue_key)
    except TrackerError as exc:
        log.warning("pre-lapse notice for %s deferred: %s", ev.service, exc)
        report.failed.append(LAPSE_ITEM)

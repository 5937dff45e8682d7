"""Evidence source outages: one issue per service per unreachable source, not one per item.

When a source cannot be reached (the evidence bucket, BigQuery, an HTTP endpoint), every
item that reads it turns ``error``, with the source named (``Evidence.outage``). Within
``error_grace_runs`` an item still counts as its last status; past the grace it counts as
failing, so the level may drop, as the level rule says. What must not happen is a hundred
"regressions": an item whose only problem is the outage gets no issue of its own. The
service gets one, "evidence source … unreachable since …: N items affected", listing them,
and it is closed with a comment when the source answers again."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime

from readiness.domain.model import ItemResult, ServiceEvaluation, Status
from readiness.history import HistoryStore, IssueLink
from readiness.support.markdown import code_block, code_span, escape
from readiness.support.timeutil import utcnow
from readiness.trackers import IssueDocument, IssueRef, IssueTracker, SyncReport, TrackerError

log = logging.getLogger(__name__)
PREFIX = "outage:"


def outage_of(result: ItemResult) -> str | None:
    """The unreachable source this item's only problem is, if that is its only problem."""
    evidence = result.evidence
    if result.status is not Status.ERROR or evidence is None or not evidence.transient:
        return None
    return evidence.outage


def outage_episode(ev: ServiceEvaluation, source: str, hit: list[ItemResult]) -> str:
    """Named after the state the outage began from (the run its items were last recorded
    by), as item episodes are: two runs racing from one prior state, or a retry, name the
    same episode and so open one issue. Named after the run that saw it, both opened one."""
    prior = max((r.previous_run_id for r in hit), default="") or ev.run_id
    return f"{PREFIX}{ev.service}:{source}@after:{prior}"


def _since(history: HistoryStore, ev: ServiceEvaluation, streak: int) -> datetime:
    """When the outage began: the first of the ``streak`` runs in a row that met it."""
    runs = [r["evaluated_at"] for r in history.timeline(ev.service, None)]
    runs = [at for at in runs if at <= ev.evaluated_at] or [ev.evaluated_at]
    return runs[-min(max(streak, 1), len(runs))]


def _body(ev: ServiceEvaluation, source: str, since: datetime, hit: list[ItemResult]) -> str:
    lines = [
        f"The evidence source {code_span(source)} of {escape(ev.service)} has not answered "
        f"since {since.isoformat()} (last tried in run {code_span(ev.run_id)} at "
        f"{ev.evaluated_at.isoformat()}).",
        "",
        f"{len(hit)} item(s) read it. They are recorded as `error` with the source named. "
        "Within the error grace each still counts as its last status; past it they count "
        f"as failing, so the level is {ev.achieved_level} now (target {ev.target_level}). "
        "No item gets an issue of its own for this outage.",
        "",
        "| item | required from | counts as |",
        "| --- | --- | --- |",
    ]
    lines += [
        f"| {escape(r.item.id)} {escape(r.item.title)} | {r.required_from} | "
        f"{r.effective_status.value} |"
        for r in hit
    ]
    cause = hit[0].evidence.error if hit and hit[0].evidence else ""
    lines += ["", "Last error:", code_block(cause or "(none)"), ""]
    lines.append(f"_Opened by readiness for outage {code_span(source)}._")
    return "\n".join(lines)


def outage_item(item_id: str) -> bool:
    """Whether an issue link's ``item_id`` is an outage issue's (no checklist item)."""
    return item_id.startswith(PREFIX)


def sync_outages(
    ev: ServiceEvaluation,
    links: list[IssueLink],
    history: HistoryStore,
    tracker: IssueTracker,
    report: SyncReport,
) -> None:
    """Open, update and close the service's outage issues from this evaluation."""
    now = utcnow()
    affected: dict[str, list[ItemResult]] = {}
    for result in ev.items:
        source = outage_of(result)
        if source is not None:
            affected.setdefault(source, []).append(result)
    open_links = {lk.item_id: lk for lk in links if lk.state == "open"}
    for source, hit in sorted(affected.items()):
        item_id = f"{PREFIX}{source}"
        current = open_links.get(item_id)
        past_grace = [r for r in hit if r.effective_status is Status.ERROR]
        summary = f"{len(hit)} items affected"
        try:
            if current is None and past_grace:
                since = _since(history, ev, max(r.error_streak for r in hit))
                doc = IssueDocument(
                    episode_id=outage_episode(ev, source, hit),
                    service=ev.service,
                    item_id=item_id,
                    team_key=ev.spec.tracker_team,
                    title=(
                        f"{ev.service}: evidence source {source} unreachable since "
                        f"{since.strftime('%Y-%m-%d %H:%M UTC')}: {summary}"
                    )[:250],
                    body=_body(ev, source, since, hit),
                    labels=(f"service:{ev.service}", "readiness", "outage"),
                    priority=2,
                    at=ev.evaluated_at,
                )
                ref = tracker.open(doc)
                history.save_link(IssueLink.opened(doc, ref, tracker.name, ev.run_id, now, summary))
                report.opened.append(ref.issue_key)
            elif current is not None and current.last_reason != summary:
                tracker.comment(
                    IssueRef.of(current),
                    f"Still unreachable as of {ev.evaluated_at.isoformat()} (run "
                    f"{code_span(ev.run_id)}): {summary}.",
                    at=ev.evaluated_at,
                )
                history.save_link(replace(current, last_reason=summary, updated_at=now))
                report.commented.append(current.issue_key)
        except TrackerError as exc:
            log.warning("outage issue for %s %s deferred: %s", ev.service, source, exc)
            report.failed.append(item_id)
    for item_id, current in sorted(open_links.items()):
        source = item_id[len(PREFIX) :]
        if not item_id.startswith(PREFIX) or source in affected:
            continue
        try:
            tracker.close(
                IssueRef.of(current),
                f"The source {code_span(source)} answers again as of "
                f"{ev.evaluated_at.isoformat()} (run {code_span(ev.run_id)}); its items were "
                f"read normally. Level now {ev.achieved_level}.",
                at=ev.evaluated_at,
            )
            history.save_link(current.closed(now, "recovered"))
            report.closed.append(current.issue_key)
        except TrackerError as exc:
            log.warning("closing outage issue for %s %s deferred: %s", ev.service, source, exc)
            report.failed.append(item_id)

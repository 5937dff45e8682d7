"""The issue lifecycle (docs/design.md §6), decided from evaluations and recorded links.

- open: one issue per regressed item per regression episode, for items that cost the
  service a level it held or targets;
- silent while the item stays failing, unless the reason changes (one comment);
- close with a comment when it passes again, or as accepted risk when waived, or when its
  item has left the checklist or its service has been retired (no spec names it);
- anything the tracker did not take stays pending and is retried by the next run,
  because the episode id lives in history, not in memory;
- an item whose only problem is an unreachable source gets no issue of its own: the
  service gets one outage issue per source (``outages.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta

from readiness.domain.model import FAILING, SATISFIED, ItemResult, ServiceEvaluation, Status, Waiver
from readiness.domain.scoring import describe_expectation
from readiness.history import HistoryStore, IssueLink
from readiness.lifecycle.notices import (
    DEFAULT_NOTICE_DAYS,
    LAPSE_ITEM,
    forecast_notice,
    sync_lapse_notice,
)
from readiness.lifecycle.outages import (
    FLEET,
    is_membership,
    outage_item,
    outage_of,
    sync_outages,
)
from readiness.lifecycle.revalidation import (
    REVALIDATION_ITEM,
    close_renewed,
    open_revalidation_issue,
)
from readiness.support import failpoints
from readiness.support.markdown import code_block, code_span, escape, link
from readiness.support.timeutil import utcnow
from readiness.trackers import (
    IssueDocument,
    IssueRef,
    IssueTracker,
    SyncReport,
    TrackerAuthError,
    TrackerError,
)

log = logging.getLogger(__name__)
READINESS_LABEL = "readiness"
_PRIORITY = {"critical": 1, "high": 2, "medium": 3, "low": 4}


def service_label(service: str) -> str:
    return f"service:{service}"


def issue_title(ev: ServiceEvaluation, result: ItemResult) -> str:
    return f"[readiness] {ev.service} {result.item.id}: {result.item.title}"


def priority(result: ItemResult, ev: ServiceEvaluation) -> int:
    """Severity sets the base; an item that drops the service below target is one
    step more urgent."""
    base = _PRIORITY.get(result.item.severity, 3)
    if ev.below_target and ev.downgraded:
        base = max(1, base - 1)
    return base


def history_query(ev: ServiceEvaluation, result: ItemResult) -> str:
    return (
        f"readiness history {ev.service} --item {result.item.id}\n\n"
        f"SELECT evaluated_at, status, reason, evidence_uri, evidence_sha256\n"
        f"FROM readiness.item_results\n"
        f"WHERE service = '{ev.service}' AND item_id = '{result.item.id}'\n"
        f"ORDER BY evaluated_at DESC;"
    )


def issue_body(
    ev: ServiceEvaluation, result: ItemResult, previous_issue_key: str | None = None
) -> str:
    item = result.item
    evidence = result.evidence
    previous = ev.previous_level or "none"
    # what the item counted as last run (a past-grace error counted as its last pass)
    before = result.previous_effective_status or result.previous_status
    lines = [
        f"**{escape(ev.service)}** readiness level **{previous} → {ev.achieved_level}** "
        f"(target {ev.target_level}).",
        "",
        f"Item **{escape(item.id)}** ({escape(item.section_title)}, required from "
        f"{result.required_from}, severity {item.severity}) went "
        f"`{before.value if before else '?'}` → "
        f"`{result.effective_status.value}` in run {code_span(ev.run_id)} at "
        f"{ev.evaluated_at.isoformat()}.",
        "",
        "### Expected vs observed",
    ]
    if item.check:
        lines.append(f"Check: {escape(item.check)}")
    for outcome in result.outcomes:
        mark = "✅" if outcome.success else "❌"
        lines.append(f"- {mark} {escape(describe_expectation(outcome))}")
    lines += ["", "Reason (from evidence, verbatim):", code_block(result.reason), ""]
    lines.append("### Evidence")
    if evidence is not None:
        lines.append(
            code_block(
                f"uri:         {evidence.uri}\nsha256:      {evidence.sha256}\n"
                f"observed_at: {evidence.observed_at or '-'}\n"
                f"fetched_at:  {evidence.fetched_at.isoformat()}"
            )
        )
    else:
        lines.append("No evidence was collected.")
    lines += ["", "### What to do"]
    lines.append(f"- Runbook: {link('runbook', item.runbook)}")
    if result.item.remediation_days:
        lines.append(
            f"- Remediate within {result.item.remediation_days} days, or record a "
            f"waiver (approver, reason, expiry) in the service spec."
        )
    if previous_issue_key:
        lines.append(f"- Previous episode: {escape(previous_issue_key)}")
    lines += [
        "",
        "### See more",
        code_block(history_query(ev, result)),
        "",
        f"_Opened by readiness for episode {result.episode_id}._",
    ]
    return "\n".join(lines)


def _should_open(ev: ServiceEvaluation, result: ItemResult) -> bool:
    """An open episode for an item that costs a level the service held or targets."""
    if result.episode_id is None or result.effective_status not in FAILING:
        return False
    held = ev.checklist.rank(ev.previous_level) if ev.previous_level else -1
    ceiling = max(held, ev.checklist.rank(ev.target_level))
    return ev.checklist.rank(result.required_from) <= ceiling


def sync_issues(
    ev: ServiceEvaluation,
    history: HistoryStore,
    tracker: IssueTracker,
    run_id: str,
    *,
    quarterly_waivers: Sequence[Waiver] | None = None,
    lapse_notice_days: int = DEFAULT_NOTICE_DAYS,
    outage_team: str = "",
) -> SyncReport:
    """Bring the tracker in line with one service's evaluation; never raises for tracker
    faults (they are reported and retried next run). ``quarterly_waivers`` (the service's
    waivers) marks a quarterly run, which also opens the revalidation issue."""
    report = SyncReport()
    links = history.links(ev.service)
    by_episode = {lk.episode_id: lk for lk in links}
    open_by_item = {lk.item_id: lk for lk in links if lk.state == "open"}
    closed_by_item: dict[str, IssueLink] = {}
    for lk in links:
        if lk.state == "closed":
            closed_by_item[lk.item_id] = lk
    now = utcnow()
    notice = forecast_notice(links)
    for result in ev.items:
        item_id = result.item.id
        current = open_by_item.get(item_id)
        try:
            if current is not None and (
                current.episode_id != result.episode_id or result.effective_status in SATISFIED
            ):
                _close(ev, result, current, tracker, history, now)
                report.closed.append(current.issue_key)
                current = None
            if current is not None:
                # an outage's reason is the outage issue's news, not this item's
                if result.reason != current.last_reason and outage_of(result) is None:
                    tracker.comment(
                        IssueRef.of(current), _reason_comment(ev, result), at=ev.evaluated_at
                    )
                    failpoints.hit("sync-after-comment")
                    history.save_link(replace(current, last_reason=result.reason, updated_at=now))
                    report.commented.append(current.issue_key)
                continue
            if (
                _should_open(ev, result)
                and result.episode_id not in by_episode
                and outage_of(result) is None  # one outage issue instead (outages.py)
            ):
                previous = closed_by_item.get(item_id)
                body = issue_body(ev, result, previous.issue_key if previous else None)
                if notice is not None and item_id in notice.last_reason.split(": ", 1)[-1].split(
                    ", "
                ):
                    body += (
                        f"\n\nThis lapse was forecast in {code_span(notice.issue_key)}, "
                        "the service's pre-lapse notice."
                    )
                doc = IssueDocument(
                    episode_id=result.episode_id or "",
                    service=ev.service,
                    item_id=item_id,
                    team_key=ev.spec.tracker_team,
                    title=issue_title(ev, result),
                    body=body,
                    labels=(service_label(ev.service), READINESS_LABEL),
                    priority=priority(result, ev),
                    due_date=_due(ev.evaluated_at, result),
                    previous_issue_key=previous.issue_key if previous else None,
                    at=ev.evaluated_at,
                )
                ref = tracker.open(doc)
                failpoints.hit("sync-after-open")
                link_ = IssueLink.opened(doc, ref, tracker.name, run_id, now, result.reason)
                history.save_link(link_)
                report.opened.append(ref.issue_key)
        except TrackerAuthError as exc:
            log.error("issue sync for %s stopped: %s", ev.service, exc)
            report.error = str(exc)
            report.failed.append(item_id)
            break
        except TrackerError as exc:
            log.warning(
                "issue sync for %s %s deferred to the next run: %s", ev.service, item_id, exc
            )
            report.failed.append(item_id)
    if report.error is None:
        _close_removed_items(ev, open_by_item, history, tracker, now, report)
        sync_outages(ev, links, history, tracker, report, outage_team)
        sync_lapse_notice(ev, links, history, tracker, report, lapse_notice_days)
        try:
            report.closed += close_renewed(ev, links, history, tracker)
        except TrackerError as exc:
            log.warning("closing the revalidation issue of %s deferred: %s", ev.service, exc)
            report.failed.append(REVALIDATION_ITEM)
    if quarterly_waivers is not None and report.error is None:
        open_revalidation_issue(ev, links, history, tracker, quarterly_waivers, report)
    return report


def _close_removed_items(
    ev: ServiceEvaluation,
    open_by_item: dict[str, IssueLink],
    history: HistoryStore,
    tracker: IssueTracker,
    now: datetime,
    report: SyncReport,
) -> None:
    """An open issue for an item the checklist no longer has would stay open for ever:
    nothing evaluates that item again. Close it, saying why."""
    present = {result.item.id for result in ev.items}
    for item_id, current in sorted(open_by_item.items()):
        if item_id in present or item_id in (REVALIDATION_ITEM, LAPSE_ITEM) or outage_item(item_id):
            continue
        body = (
            f"Closed: item {code_span(item_id)} is no longer in checklist "
            f"{code_span(ev.checklist.id)} (version {escape(str(ev.checklist.version))}) as "
            f"of run {code_span(ev.run_id)} at {ev.evaluated_at.isoformat()}, so nothing will "
            f"evaluate it again. Level now {ev.achieved_level}."
        )
        try:
            tracker.close(IssueRef.of(current), body, accepted_risk=False, at=ev.evaluated_at)
        except TrackerError as exc:
            log.warning(
                "closing %s (item %s left the checklist) deferred: %s",
                current.issue_key,
                item_id,
                exc,
            )
            report.failed.append(item_id)
            continue
        history.save_link(current.closed(now, "item_removed"))
        report.closed.append(current.issue_key)


def close_retired(
    history: HistoryStore,
    tracker: IssueTracker,
    known: Collection[str],
    at: datetime,
    run_id: str,
) -> SyncReport:
    """Close every open issue of a service no spec names any more (``known``: the services
    whose spec exists, loaded or not; a spec that merely fails to load is not retired).
    Without this, a retired service's issues stay open for ever."""
    report = SyncReport()
    now = utcnow()
    for service in sorted(set(history.services_with_open_issues()) - {*known, FLEET}):
        for current in [lk for lk in history.links(service) if lk.state == "open"]:
            if is_membership(current):  # it leaves the fleet's issue, which others share
                history.save_link(current.closed(now, "service_retired"))
                continue
            body = (
                f"Closed: no service spec names {code_span(service)} any more (run "
                f"{code_span(run_id)} at {at.isoformat()}); the service is retired, so "
                "readiness no longer tracks it. Its history stays queryable."
            )
            try:
                tracker.close(IssueRef.of(current), body, accepted_risk=False, at=at)
            except TrackerError as exc:
                log.warning(
                    "closing %s of retired %s deferred: %s", current.issue_key, service, exc
                )
                report.failed.append(current.item_id)
                continue
            history.save_link(current.closed(now, "service_retired"))
            report.closed.append(current.issue_key)
    _close_memberless_fleet_outages(history, tracker, at, run_id, now, report)
    return report


def _close_memberless_fleet_outages(
    history: HistoryStore,
    tracker: IssueTracker,
    at: datetime,
    run_id: str,
    now: datetime,
    report: SyncReport,
) -> None:
    """A fleet outage issue whose every member retired (or left in a race) would stay
    open for ever; the fleet run closes it."""
    for current in [lk for lk in history.links(FLEET) if lk.state == "open"]:
        if any(is_membership(lk) for lk in history.open_links(current.item_id)):
            continue
        try:
            tracker.close(
                IssueRef.of(current),
                f"Closed: no service is affected any more (run {code_span(run_id)} at "
                f"{at.isoformat()}).",
                accepted_risk=False,
                at=at,
            )
        except TrackerError as exc:
            log.warning("closing fleet outage %s deferred: %s", current.issue_key, exc)
            report.failed.append(current.item_id)
            continue
        history.save_link(current.closed(now, "no_members"))
        report.closed.append(current.issue_key)


def _due(evaluated_at: datetime, result: ItemResult) -> date | None:
    if result.item.remediation_days is None:
        return None
    return (evaluated_at + timedelta(days=result.item.remediation_days)).date()


def _reason_comment(ev: ServiceEvaluation, result: ItemResult) -> str:
    return (
        f"Still failing as of {ev.evaluated_at.isoformat()} (run {code_span(ev.run_id)}), "
        f"for a new reason:\n\n{code_block(result.reason)}"
    )


def _close(
    ev: ServiceEvaluation,
    result: ItemResult,
    current: IssueLink,
    tracker: IssueTracker,
    history: HistoryStore,
    now: datetime,
) -> None:
    accepted = result.effective_status is Status.WAIVED
    if accepted and result.waiver is not None:
        waiver = result.waiver
        body = (
            f"Closed as **accepted risk**: waiver by {escape(waiver.approver)} until "
            f"{waiver.expires.isoformat()}.\n\n{code_block(waiver.reason)}"
        )
        why = "accepted_risk"
    elif result.effective_status in SATISFIED:
        evidence = result.evidence
        proof = (
            f"uri:    {evidence.uri}\nsha256: {evidence.sha256}" if evidence else "(no evidence)"
        )
        body = (
            f"Remediated: {escape(result.item.id)} is `{result.effective_status.value}` "
            f"as of {ev.evaluated_at.isoformat()} (run {code_span(ev.run_id)}); level "
            f"now {ev.achieved_level}.\n\nEvidence that fixed it:\n{code_block(proof)}"
        )
        why = "remediated"
    else:
        body = "This regression episode ended; a new episode is tracked in a new issue."
        why = "superseded"
    tracker.close(IssueRef.of(current), body, accepted_risk=accepted, at=ev.evaluated_at)
    history.save_link(current.closed(now, why))

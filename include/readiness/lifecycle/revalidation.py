"""Quarterly revalidation (seed 004 §17, docs/design.md §2): what must be re-signed this quarter.

An attestation counts until the end of the quarter after the one it was signed in. On the
first day of a quarter, signatures from two quarters ago have just expired (their items went
``stale``: regressions, with their own issues), and last quarter's must be renewed before this
quarter ends. The quarterly run opens one issue per service that lists every sign-off not yet
renewed in the new quarter, with its role and the day it stops counting, plus the waivers that
expire this quarter. It is one episode per service per quarter, so a re-run finds the issue it
opened; a later run in which every sign-off is renewed closes it."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from readiness.domain.model import ServiceEvaluation, Status, Waiver
from readiness.history import HistoryStore, IssueLink
from readiness.support.markdown import code_span, escape
from readiness.support.timeutil import (
    parse_timestamp,
    quarter_end,
    quarter_label,
    quarter_of,
    quarter_start,
    utcnow,
)
from readiness.trackers import (
    IssueDocument,
    IssueRef,
    IssueTracker,
    SyncReport,
    TrackerAuthError,
    TrackerError,
)

log = logging.getLogger(__name__)
REVALIDATION_LABEL = "quarterly-revalidation"
#: The ``item_id`` of revalidation issues in ``issue_links`` (no checklist item has it).
REVALIDATION_ITEM = "quarterly-revalidation"


#: How lists of sign-offs are ordered: what already stopped counting first.
SIGNOFF_ORDER = {"expired": 0, "unsigned": 1, "renew": 2}


@dataclass(frozen=True)
class SignoffDue:
    """One role's sign-off on one item that the new quarter has not renewed."""

    item_id: str
    title: str
    role: str
    signer: str | None
    signed_at: datetime | None
    expires_on: date | None
    #: ``expired`` (stopped counting already), ``renew`` (counts until ``expires_on``),
    #: ``unsigned`` (never signed).
    state: str


def _roles(params_roles: object, fallback: Sequence[str]) -> list[str]:
    if isinstance(params_roles, list) and params_roles:
        return [str(r) for r in params_roles]
    return list(fallback) or ["owner"]


def signoffs_due(ev: ServiceEvaluation, on: date | None = None) -> list[SignoffDue]:
    """Every sign-off of ``ev`` not signed in the quarter containing ``on`` (default: the
    evaluation's day), oldest expiry first."""
    day = on or ev.evaluated_at.date()
    start = quarter_start(*quarter_of(day))
    due: list[SignoffDue] = []
    for result in ev.items:
        item = result.item
        if item.evidence.kind != "attestation" or result.status is Status.NOT_APPLICABLE:
            continue
        if result.evidence is not None and result.evidence.error:
            continue  # the store could not be read: an infrastructure error, not a finding
        rows = result.evidence.rows if result.evidence is not None else []
        if not rows:
            roles = _roles(item.evidence.params.get("roles"), item.signoff_roles)
            due += [
                SignoffDue(item.id, item.title, role, None, None, None, "unsigned")
                for role in roles
            ]
            continue
        for row in rows:
            signer = row.get("signer")
            if not signer:
                due.append(
                    SignoffDue(item.id, item.title, str(row["role"]), None, None, None, "unsigned")
                )
                continue
            signed_at = parse_timestamp(row["signed_at"])
            if signed_at.date() >= start:
                continue  # renewed this quarter
            expires_on = date.fromisoformat(str(row["expires_on"]))
            due.append(
                SignoffDue(
                    item.id,
                    item.title,
                    str(row["role"]),
                    str(signer),
                    signed_at,
                    expires_on,
                    "expired" if expires_on < day else "renew",
                )
            )
    return sorted(due, key=lambda d: (SIGNOFF_ORDER[d.state], d.expires_on or date.max, d.item_id))


def waivers_due(waivers: Sequence[Waiver], on: date) -> list[Waiver]:
    """Waivers in force on ``on`` that expire before the end of its quarter."""
    end = quarter_end(*quarter_of(on))
    return sorted((w for w in waivers if on <= w.expires <= end), key=lambda w: w.expires)


def episode_for(service: str, quarter: str) -> str:
    return f"revalidation:{service}:{quarter}"


def revalidation_title(service: str, quarter: str, due: Sequence[SignoffDue]) -> str:
    return (
        f"[readiness] {service} quarterly revalidation {quarter}: {len(due)} sign-off(s) to renew"
    )


def revalidation_body(
    ev: ServiceEvaluation, quarter: str, due: Sequence[SignoffDue], waivers: Sequence[Waiver]
) -> str:
    end = quarter_end(*quarter_of(ev.evaluated_at.date()))
    expired = sum(1 for d in due if d.state == "expired")
    lines = [
        f"Quarterly revalidation of **{escape(ev.service)}** for **{quarter}** "
        f"(run {code_span(ev.run_id)}, level **{ev.achieved_level}**, target "
        f"{ev.target_level}).",
        "",
        "A sign-off counts until the end of the quarter after the one it was signed in. "
        f"Sign-offs from two quarters ago have expired ({expired} below, already failing their "
        f"items); last quarter's must be renewed by **{end.isoformat()}**.",
        "",
        "### Sign-offs to renew",
        "",
        "| item | role | signed by | signed | counts until | state |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for d in due:
        lines.append(
            f"| {escape(d.item_id)} {escape(d.title)} | {escape(d.role)} | "
            f"{escape(d.signer) if d.signer else '-'} | "
            f"{d.signed_at.date().isoformat() if d.signed_at else '-'} | "
            f"{d.expires_on.isoformat() if d.expires_on else '-'} | {d.state} |"
        )
    if not due:
        lines.append("| - | - | - | - | - | nothing to renew |")
    lines += ["", f"### Waivers expiring in {quarter}", ""]
    if waivers:
        for w in waivers:
            lines.append(
                f"- {escape(w.item)}: expires {w.expires.isoformat()}, approved by "
                f"{escape(w.approver)}{' (' + escape(w.reference) + ')' if w.reference else ''}"
                f": {escape(w.reason)}"
            )
    else:
        lines.append("None.")
    lines += [
        "",
        "### What to do",
        "- Each role signs a new `attestation` document (item, role, signer, signed_at, "
        "statement) in the evidence store; the next run picks it up.",
        "- A waiver that should continue needs a new expiry date from its approver.",
        "",
        f"_Opened by readiness for episode {episode_for(ev.service, quarter)}; it closes "
        "itself when every sign-off above is renewed._",
    ]
    return "\n".join(lines)


def open_revalidation_issue(
    ev: ServiceEvaluation,
    links: Sequence[IssueLink],
    history: HistoryStore,
    tracker: IssueTracker,
    waivers: Sequence[Waiver],
    report: SyncReport,
) -> SyncReport:
    """The quarterly run's one issue for the service (exactly once per quarter: ``links``
    are the service's recorded issues)."""
    quarter = quarter_label(*quarter_of(ev.evaluated_at.date()))
    episode = episode_for(ev.service, quarter)
    if any(lk.episode_id == episode for lk in links):
        return report
    due = signoffs_due(ev)
    expiring = waivers_due(waivers, ev.evaluated_at.date())
    doc = IssueDocument(
        episode_id=episode,
        service=ev.service,
        item_id=REVALIDATION_ITEM,
        team_key=ev.spec.tracker_team,
        title=revalidation_title(ev.service, quarter, due),
        body=revalidation_body(ev, quarter, due, expiring),
        labels=(f"service:{ev.service}", "readiness", REVALIDATION_LABEL),
        priority=2 if any(d.state == "expired" for d in due) else 3,
        due_date=quarter_end(*quarter_of(ev.evaluated_at.date())),
        at=ev.evaluated_at,
    )
    try:
        ref = tracker.open(doc)
    except TrackerAuthError as exc:
        report.error = str(exc)
        report.failed.append(REVALIDATION_ITEM)
        return report
    except TrackerError as exc:
        log.warning("revalidation issue for %s deferred: %s", ev.service, exc)
        report.failed.append(REVALIDATION_ITEM)
        return report
    now = utcnow()
    reason = f"{len(due)} sign-off(s) to renew"
    history.save_link(IssueLink.opened(doc, ref, tracker.name, ev.run_id, now, reason))
    report.opened.append(ref.issue_key)
    return report


def close_renewed(
    ev: ServiceEvaluation, links: Sequence[IssueLink], history: HistoryStore, tracker: IssueTracker
) -> list[str]:
    """Close the open revalidation issue of the evaluation's quarter once nothing is left to
    renew; an older quarter's issue is closed as superseded by the new one."""
    closed: list[str] = []
    quarter = quarter_label(*quarter_of(ev.evaluated_at.date()))
    episode = episode_for(ev.service, quarter)
    newer_exists = any(lk.episode_id == episode for lk in links)
    for lk in links:
        if lk.item_id != REVALIDATION_ITEM or lk.state != "open":
            continue
        current = lk.episode_id == episode
        if (current and signoffs_due(ev)) or (not current and not newer_exists):
            continue
        body = (
            f"Every sign-off is renewed for {quarter} as of {ev.evaluated_at.isoformat()} "
            f"(run {code_span(ev.run_id)})."
            if current
            else f"Superseded by the {quarter} revalidation."
        )
        tracker.close(IssueRef.of(lk), body, at=ev.evaluated_at)
        now = utcnow()
        history.save_link(lk.closed(now, "renewed" if current else "superseded"))
        closed.append(lk.issue_key)
    return closed

"""Evidence source outages: one issue per unreachable source, not one per item, and a
shared source's one issue for the whole fleet, not one per service.

When a source cannot be reached (the evidence bucket, BigQuery, an HTTP endpoint), every
item that reads it turns ``error``, with the source named (``Evidence.outage``). Within
``error_grace_runs`` an item still counts as its last status; past the grace it counts as
failing, so the level may drop, as the level rule says. What must not happen is a hundred
"regressions": an item whose only problem is the outage gets no issue of its own. The
service gets one, "evidence source … unreachable since …: N items affected", listing them,
and it is closed with a comment when the source answers again.

A source every service shares (the evidence bucket, BigQuery, the Cloud Storage API) is
one outage across the fleet: when the bucket's host is down for 10,000 services, one issue,
"evidence source … unreachable …: N services affected", not 10,000. Its link belongs to
the pseudo-service ``FLEET``; each affected service holds a membership link to the same
issue (episode ``<fleet episode>#<service>``), closed as that service reads the source
again. The service that leaves no member closes the issue. A service's own endpoint (an
HTTP host its probes read) is still that service's issue. Joins and recoveries are all in
history; the issue gets a comment for the first ten and then every hundredth, so an outage
of the whole fleet is a readable thread, not 20,000 comments."""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from datetime import datetime

from readiness.domain.model import ItemResult, ServiceEvaluation, Status
from readiness.history import HistoryStore, IssueLink
from readiness.support.markdown import code_block, code_span, escape
from readiness.support.timeutil import utcnow
from readiness.trackers import IssueDocument, IssueRef, IssueTracker, SyncReport, TrackerError

log = logging.getLogger(__name__)
PREFIX = "outage:"
#: The pseudo-service that holds the links of fleet-wide outage issues.
FLEET = "(fleet)"
_API = re.compile(r"[a-z][a-z0-9_-]*")


def fleet_source(outage: str) -> str | None:
    """The fleet-wide identity of an outage, or None when the source is the service's own:
    ``gs://bucket/a/b`` is its bucket, a bare source name (``bigquery``, ``gcs``) an API
    every service shares; an endpoint's host or a local folder belongs to the service."""
    if outage.startswith("gs://"):
        return "gs://" + outage[len("gs://") :].split("/", 1)[0]
    return outage if _API.fullmatch(outage) else None


def _milestone(count: int) -> bool:
    """Whether a join or recovery that leaves ``count`` services affected is commented."""
    return count <= 10 or count % 100 == 0


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
    outage_team: str = "",
) -> None:
    """Open, update and close the service's outage issues from this evaluation: a shared
    source's in the fleet's issue (``outage_team``'s, else this service's team's), the
    service's own endpoints in its own."""
    now = utcnow()
    affected: dict[str, list[ItemResult]] = {}
    shared: dict[str, list[ItemResult]] = {}
    for result in ev.items:
        source = outage_of(result)
        if source is None:
            continue
        key = fleet_source(source)
        if key is not None:
            shared.setdefault(key, []).append(result)
        else:
            affected.setdefault(source, []).append(result)
    open_links = {lk.item_id: lk for lk in links if lk.state == "open"}
    fleet = _Fleet(ev, history, tracker, report, now, outage_team)
    for source, hit in sorted(shared.items()):
        fleet.affected(source, hit, open_links.get(f"{PREFIX}{source}"))
    for item_id, membership in sorted(open_links.items()):
        source = item_id[len(PREFIX) :]
        if outage_item(item_id) and is_membership(membership) and source not in shared:
            fleet.recovered(source, membership)
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
        if not item_id.startswith(PREFIX) or source in affected or is_membership(current):
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


def is_membership(link: IssueLink) -> bool:
    """Whether a service's link is its membership of a fleet outage's issue."""
    return link.service != FLEET and "#" in link.episode_id and outage_item(link.item_id)


class _Fleet:
    """One service's part in the fleet's outage issues."""

    def __init__(
        self,
        ev: ServiceEvaluation,
        history: HistoryStore,
        tracker: IssueTracker,
        report: SyncReport,
        now: datetime,
        team: str,
    ) -> None:
        self.ev, self.history, self.tracker, self.report = ev, history, tracker, report
        self.now, self.team = now, team or ev.spec.tracker_team
        self._links: list[IssueLink] | None = None

    def _fleet_links(self, item_id: str) -> list[IssueLink]:
        if self._links is None:
            self._links = self.history.links(FLEET)
        return [lk for lk in self._links if lk.item_id == item_id]

    def affected(self, source: str, hit: list[ItemResult], membership: IssueLink | None) -> None:
        """This service meets the shared ``source`` down: join the fleet's issue (opening
        it if none is open) once its items are past the grace."""
        ev = self.ev
        item_id = f"{PREFIX}{source}"
        summary = f"{len(hit)} items affected"
        if membership is not None:
            if membership.last_reason != summary:  # history only: no comment per change
                self.history.save_link(
                    replace(membership, last_reason=summary, updated_at=self.now)
                )
            return
        if not any(r.effective_status is Status.ERROR for r in hit):
            return  # within the grace: nothing to tell anyone yet
        try:
            links = self._fleet_links(item_id)
            current = next((lk for lk in links if lk.state == "open"), None)
            since = _since(self.history, ev, max(r.error_streak for r in hit))
            members = sum(map(is_membership, self.history.open_links(item_id))) + 1
            if current is None:
                # named after the fleet's last episode of this source, so services racing
                # to open it name the same episode and the tracker opens one issue
                prior = max((lk.episode_id for lk in links), default="") or "first"
                doc = IssueDocument(
                    episode_id=f"{PREFIX}{FLEET}:{source}@after:{prior}",
                    service=FLEET,
                    item_id=item_id,
                    team_key=self.team,
                    title=(
                        f"evidence source {source} unreachable since "
                        f"{since.strftime('%Y-%m-%d %H:%M UTC')}: services affected"
                    )[:250],
                    body=_fleet_body(source, since, ev, hit),
                    labels=("readiness", "outage", "fleet"),
                    priority=1,
                    at=ev.evaluated_at,
                )
                ref = self.tracker.open(doc)
                current = IssueLink.opened(
                    doc, ref, self.tracker.name, ev.run_id, self.now, "services affected"
                )
                self.history.save_link(current)
                self._links = None
                self.report.opened.append(ref.issue_key)
            elif _milestone(members):
                self.tracker.comment(
                    IssueRef.of(current),
                    f"{escape(ev.service)} cannot read {code_span(source)} either, since "
                    f"{since.isoformat()} (run {code_span(ev.run_id)}): {summary}. "
                    f"{members} service(s) affected.",
                    at=ev.evaluated_at,
                )
                self.report.commented.append(current.issue_key)
            self.history.save_link(
                replace(
                    current,
                    service=ev.service,
                    episode_id=f"{current.episode_id}#{ev.service}",
                    opened_run_id=ev.run_id,
                    opened_at=self.now,
                    last_reason=summary,
                    updated_at=self.now,
                )
            )
        except TrackerError as exc:
            log.warning("fleet outage issue for %s %s deferred: %s", ev.service, source, exc)
            self.report.failed.append(item_id)

    def recovered(self, source: str, membership: IssueLink) -> None:
        """This service reads ``source`` again: it leaves the issue; the last to leave
        closes it. Membership is closed before the others are counted, so of two services
        recovering at once at least one sees none left."""
        ev = self.ev
        item_id = f"{PREFIX}{source}"
        self.history.save_link(membership.closed(self.now, "recovered"))
        left = [lk for lk in self.history.open_links(item_id) if is_membership(lk)]
        current = next((lk for lk in self._fleet_links(item_id) if lk.state == "open"), None)
        if current is None:
            return
        try:
            if left:
                if _milestone(len(left)):
                    self.tracker.comment(
                        IssueRef.of(current),
                        f"{escape(ev.service)} reads {code_span(source)} again as of "
                        f"{ev.evaluated_at.isoformat()} (run {code_span(ev.run_id)}); "
                        f"{len(left)} service(s) still affected.",
                        at=ev.evaluated_at,
                    )
                    self.report.commented.append(current.issue_key)
                return
            self.tracker.close(
                IssueRef.of(current),
                f"The source {code_span(source)} answers again: {escape(ev.service)}, the "
                f"last service affected, read it as of {ev.evaluated_at.isoformat()} (run "
                f"{code_span(ev.run_id)}).",
                at=ev.evaluated_at,
            )
            self.history.save_link(current.closed(self.now, "recovered"))
            self._links = None
            self.report.closed.append(current.issue_key)
        except TrackerError as exc:
            log.warning("fleet outage issue for %s %s deferred: %s", ev.service, source, exc)
            self.report.failed.append(item_id)


def _fleet_body(source: str, since: datetime, ev: ServiceEvaluation, hit: list[ItemResult]) -> str:
    cause = hit[0].evidence.error if hit and hit[0].evidence else ""
    return "\n".join(
        [
            f"The evidence source {code_span(source)} has not answered since "
            f"{since.isoformat()}. It is shared: every service that reads it records its "
            "items as `error` with the source named, and joins this issue instead of "
            "opening its own. Past the error grace those items count as failing.",
            "",
            f"First seen by {escape(ev.service)} in run {code_span(ev.run_id)} at "
            f"{ev.evaluated_at.isoformat()}: {len(hit)} item(s).",
            "",
            "Which services are affected now, in history:",
            code_block(
                "SELECT service, last_reason, opened_at FROM readiness.issue_links\n"
                f"WHERE item_id = '{PREFIX}{source}' AND state = 'open' "
                f"AND service != '{FLEET}'"
            ),
            "",
            "Last error:",
            code_block(cause or "(none)"),
            "",
            f"_Opened by readiness for the fleet outage {code_span(source)}; closed when the "
            "last affected service reads it again._",
        ]
    )

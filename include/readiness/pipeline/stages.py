"""The pipeline's stages (``engine.ServicePlan``) as separate processes: collect (per
evidence source) → score → record → sync issues, each taking and returning JSON.

An orchestrator (the Airflow DAGs in ``plugins/readiness_airflow``) runs each stage as a task
and passes the JSON each returns to the next; ``engine.evaluate`` runs the same stages in
one process. Every stage is idempotent for a given run id: re-running ``record`` replaces the
run's rows, re-running ``sync`` finds the issues already opened for the run's episodes."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from readiness import trackers
from readiness.collectors import CredentialSource
from readiness.domain.model import ServiceEvaluation
from readiness.history import HistoryStore, RunMeta, history_for
from readiness.lifecycle.announcements import Announcement, announcements
from readiness.pipeline import engine
from readiness.pipeline.codec import (
    evaluation_from_json,
    evaluation_to_json,
    evidence_from_json,
    evidence_to_json,
)
from readiness.pipeline.transfer import shard_of, shard_store
from readiness.pipeline.verdicts import Sealer, evidence_archive
from readiness.spec.config import Settings
from readiness.spec.loader import Catalog, load_catalog_cached
from readiness.support.timeutil import utcnow
from readiness.trackers import IssueTracker

log = logging.getLogger(__name__)

#: Sends one announcement on one channel through one connection; raises if it did not go.
Deliver = Callable[[Announcement, str, str], None]


@dataclass(frozen=True)
class SourceRef:
    """An evidence source as the orchestrator shows it (one collection task each)."""

    id: str
    items: int


def outcome(ev: ServiceEvaluation) -> dict[str, Any]:
    """The few facts an SRE wants from a run without opening a log."""
    return {
        "service": ev.service,
        "run_id": ev.run_id,
        "achieved_level": ev.achieved_level,
        "target_level": ev.target_level,
        "previous_level": ev.previous_level,
        "downgraded": ev.downgraded,
        "regressions": [r.item.id for r in ev.regressions],
        "counts": {k: v for k, v in ev.counts().items() if v},
    }


_ISSUE_ACTIONS = (
    ("opened", "issues opened"),
    ("commented", "issues commented"),
    ("closed", "issues closed"),
    ("failed", "issue sync deferred for"),
)


def headline(result: Mapping[str, Any], issues: Mapping[str, Any] | None = None) -> str:
    """One line: ``file-storage-service: L1 (target L3, previous L2) DOWNGRADED;
    regressions: RP3; issues opened OUT-1``."""
    previous = result["previous_level"] or "none"
    text = (
        f"{result['service']}: {result['achieved_level']} "
        f"(target {result['target_level']}, previous {previous})"
    )
    if result.get("downgraded"):
        text += " DOWNGRADED"
    regressions = result.get("regressions") or []
    text += f"; regressions: {', '.join(regressions) if regressions else 'none'}"
    for action, label in _ISSUE_ACTIONS:
        keys = (issues or {}).get(action) or []
        if keys:
            text += f"; {label} {', '.join(keys)}"
    if result.get("verdict"):  # last: service#n sha256:<its first 16 hex digits>…
        text += f"; verdict {result['verdict'][:-48]}…"
    elif result.get("shard"):
        text += "; verdict signed by the history transfer"
    return text


class ServiceStages:
    """The stages of one service's run, in and out as JSON. Cheap to build: it loads YAML,
    never GX."""

    def __init__(self, settings: Settings, service: str, catalog: Catalog | None = None) -> None:
        self.settings = settings
        self.catalog = catalog or load_catalog_cached(
            settings.checklist_paths, settings.service_paths, service
        )
        self.plan = engine.ServicePlan.of(self.catalog, service)
        self.spec = self.plan.spec
        self.checklist = self.plan.checklist
        self.items = self.plan.items

    @property
    def sources(self) -> list[SourceRef]:
        return [SourceRef(k, n) for k, n in self.plan.sources(self.settings.live).items()]

    @contextmanager
    def _history(self) -> Iterator[HistoryStore]:
        """History, created if missing, closed however the stage ends (a BigQuery client
        holds connections)."""
        history = history_for(self.settings)
        try:
            history.init()
            yield history
        finally:
            history.close()

    def _on(self, as_of: datetime) -> engine.ServicePlan:
        """The plan with the spec's overrides in force on the run's day."""
        return engine.ServicePlan.of(self.catalog, self.spec.service, as_of.date())

    # ------------------------------------------------------------------ stages

    def collect(
        self, source: str, as_of: datetime, credentials: CredentialSource | None = None
    ) -> dict[str, dict[str, Any]]:
        """Evidence for the applicable items read from one source, by item id."""
        evidence = self._on(as_of).collect(self.settings, as_of, source, credentials)
        return {item_id: evidence_to_json(ev) for item_id, ev in evidence.items()}

    def score(
        self,
        collected: Iterable[Mapping[str, Mapping[str, Any]]],
        as_of: datetime,
        run_key: str,
    ) -> tuple[dict[str, Any], list[str]]:
        """Validate and score the collected evidence against history; returns the
        evaluation (JSON) and warnings. Writes nothing."""
        from readiness.pipeline.validation import BatchValidator  # GX: only when a run scores

        evidence = {
            item_id: evidence_from_json(data)
            for section in collected
            for item_id, data in section.items()
        }
        plan = self._on(as_of)
        tasks = plan.validation_tasks(evidence)
        validated = BatchValidator().validate(tasks, as_of) if tasks else {}
        with self._history() as history:
            exemptions = plan.exemptions(self.settings, history, as_of, plan.run_id(run_key))
            evaluation = plan.score(
                history,
                run_id=plan.run_id(run_key),
                as_of=as_of,
                evidence=evidence,
                validated=validated,
                exemptions=exemptions,
                grace_runs=self.settings.error_grace_runs,
            )
        return evaluation_to_json(evaluation), exemptions.warnings

    def load(self, evaluation: Mapping[str, Any]) -> ServiceEvaluation:
        evaluated_at = datetime.fromisoformat(evaluation["evaluated_at"])
        items = {item.id: item for item, _na in self._on(evaluated_at).items}
        return evaluation_from_json(evaluation, self.spec, self.checklist, items)

    def record(
        self,
        evaluation: Mapping[str, Any],
        meta: RunMeta,
        credentials: CredentialSource | None = None,
    ) -> dict[str, Any]:
        """Write the run to history (replacing the run's own rows if it was recorded
        before) and sign its verdict; returns the outcome, with the verdict's reference.
        The signing key is read first: a key that is missing fails before any write."""
        ev = self.load(evaluation)
        shards = shard_store(self.settings)
        if shards is not None:  # the transfer loads it with others, and signs it
            uri = shards.put(shard_of(self.settings, ev, meta, evidence_archive(self.settings)))
            return {**outcome(ev), "shard": uri}
        sealer = Sealer.of(self.settings, credentials)
        with self._history() as history:
            verdicts = engine.record(history, [ev], meta, sealer)
        return {**outcome(ev), "verdict": verdicts[0].reference}

    def sync(
        self,
        evaluation: Mapping[str, Any],
        tracker: IssueTracker | None = None,
        *,
        quarterly: bool = False,
    ) -> dict[str, list[str]]:
        """Bring the tracker in line with the recorded run; tracker faults are reported in
        ``failed`` and retried by the next run. A quarterly run also opens the service's
        revalidation issue (once per quarter)."""
        ev = self.load(evaluation)
        tracker = tracker or trackers.open_tracker(self.settings)
        with self._history() as history:
            waivers = None
            if quarterly:
                waivers = self.plan.exemptions(self.settings, history, ev.evaluated_at).waivers
            report = engine.sync(
                history,
                tracker,
                ev,
                waivers,
                self.settings.lapse_notice_days,
                self.settings.outage_team,
            )
        return asdict(report)

    def announce(self, evaluation: Mapping[str, Any], deliver: Deliver) -> dict[str, list[str]]:
        """Send what the recorded run announces (``lifecycle.announcements``) on each of the
        spec's channels, each delivery once: the ``notifications`` ledger is read first and
        written after each send, so a retry or a re-run sends only what did not go. A
        channel that fails is reported in ``failed`` and does not stop the others."""
        ev = self.load(evaluation)
        channels = ev.spec.notify.named()
        done: dict[str, list[str]] = {"sent": [], "already": [], "failed": []}
        if not channels:
            return done
        with self._history() as history:
            shards = shard_store(self.settings)
            if history.run_verdict(ev.service, ev.run_id) is None and not (
                shards is not None and shards.has(ev.service, ev.run_id)
            ):
                return done  # not recorded (nor waiting for the transfer): it announces nothing
            found = announcements(ev, history.links(ev.service), self.settings.lapse_notice_days)
            since = min((a.at for a in found), default=None)
            sent = {r["event_id"] for r in history.notifications(ev.service, since)}
        for announcement in found:
            for channel, connection_id in channels.items():
                delivery = announcement.delivery_id(channel)
                if delivery in sent:
                    done["already"].append(delivery)
                    continue
                try:
                    deliver(announcement, channel, connection_id)
                except Exception as exc:
                    log.warning("%s not sent: %s", delivery, _one_line(exc))
                    done["failed"].append(delivery)
                    continue
                with self._history() as history:
                    history.save_notifications(
                        [announcement.ledger_row(channel, connection_id, utcnow())]
                    )
                done["sent"].append(delivery)
        return done


def _one_line(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:300]

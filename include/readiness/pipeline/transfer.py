"""The history transfer: recorded runs written as shards by their ``record`` tasks, loaded
into history in batches and sealed there (docs/history.md, ``history/shards``).

A batch is one look-up, one load job and one ``MERGE`` per table, one read of the chain
heads and one ``MERGE`` of the verdicts, however many runs it holds, so the warehouse's DML
quota no longer grows with the fleet. What keeps it exact:

- a shard is named by its run: a retried ``record`` rewrites it, never adds a second;
- the rows replace each run's own rows (the same statement as a direct write), so a
  transfer retried after a crash loads them again and nothing doubles;
- the verdicts are signed here, in the order the shards were written, and a run whose
  latest verdict already says what its shard says keeps it: a retried transfer adds none;
- shards are removed only after their verdicts are appended; one that cannot be loaded is
  moved to ``rejected/`` with the reason, and the rest of the batch goes on."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from readiness.collectors import CredentialSource
from readiness.domain.model import ServiceEvaluation
from readiness.domain.verdicts import ChainLink, Verdict
from readiness.evidence.archive import Archive
from readiness.history import HistoryStore, RunMeta, VerdictClaim, history_for
from readiness.history.rows import evaluation_row, exemption_event_rows, item_rows
from readiness.history.shards import Shard, ShardProblem, ShardStore
from readiness.pipeline.verdicts import Sealer, says_the_same, unlinked_statement
from readiness.spec.config import Settings
from readiness.support import failpoints
from readiness.support.errors import ConfigError, Problem
from readiness.support.timeutil import utcnow

log = logging.getLogger(__name__)


def shard_store(settings: Settings) -> ShardStore | None:
    """Where runs wait for the transfer, if history is loaded in batches."""
    if not settings.history_transfer:
        return None
    return ShardStore(settings.history_transfer, settings.project_root)


def shard_of(
    settings: Settings, ev: ServiceEvaluation, meta: RunMeta, archive: Archive | None
) -> Shard:
    """A recorded run as a shard: its rows, its events, and its verdict's statement with
    the inputs archived (the worker holds the evidence; the transfer only signs)."""
    run = evaluation_row(ev, meta, utcnow())
    run.pop("recorded_at")
    return Shard(
        service=ev.service,
        run_id=ev.run_id,
        written_at=utcnow(),
        run=run,
        items=item_rows(ev),
        events=exemption_event_rows(ev),
        statement=unlinked_statement(settings, ev, archive),
    )


@dataclass
class TransferReport:
    """What one transfer did."""

    runs: list[str] = field(default_factory=list)
    verdicts: list[str] = field(default_factory=list)
    #: ``uri: why`` of each shard moved aside
    rejected: list[str] = field(default_factory=list)
    events: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "runs": len(self.runs),
            "verdicts": self.verdicts,
            "rejected": self.rejected,
            "events": self.events,
        }


def transfer(
    history: HistoryStore, shards: ShardStore, sealer: Sealer, limit: int = 2000
) -> TransferReport:
    """Load up to ``limit`` pending shards, oldest first, and seal their verdicts."""
    report = TransferReport()
    loaded: list[tuple[str, Shard]] = []
    for name in shards.pending(limit):
        try:
            loaded.append((name, shards.read(name)))
        except ShardProblem as problem:
            where = shards.reject(name, str(problem))
            log.error("history transfer: %s (moved to %s)", problem, where)
            report.rejected.append(f"{where}: {problem}")
    if not loaded:
        return report
    # written order within a service is chain order; the run id breaks a tie
    loaded.sort(key=lambda pair: (pair[1].written_at, pair[1].run_id))
    batch = [shard for _name, shard in loaded]
    recorded_at = utcnow()
    with history.session():
        history.write_rows(
            [row for shard in batch for row in shard.items],
            [{**shard.run, "recorded_at": recorded_at} for shard in batch],
        )
        report.events = history.save_events([row for shard in batch for row in shard.events])
        failpoints.hit("transfer")  # rows in, verdicts not: the retry must converge
        verdicts = history.append_verdicts([_claim(sealer, shard) for shard in batch])
    for verdict in verdicts:
        sealer.archive_verdict(verdict)
    for name, _shard in loaded:
        shards.remove(name)
    report.runs = [shard.run_id for shard in batch]
    report.verdicts = [v.reference for v in verdicts]
    log.info(
        "history transfer: %d runs loaded and sealed, %d rejected",
        len(batch),
        len(report.rejected),
    )
    return report


def run_transfer(
    settings: Settings,
    credentials: CredentialSource | None = None,
    limit: int | None = None,
) -> TransferReport:
    """One batch from the configured shard store into the configured history. The signing
    key is read first: without it nothing is loaded."""
    shards = shard_store(settings)
    if shards is None:
        raise ConfigError(
            [
                Problem(
                    "readiness.yaml",
                    "history_transfer",
                    "expected a folder or gs://bucket/prefix of shards to transfer",
                )
            ]
        )
    sealer = Sealer.of(settings, credentials)
    history = history_for(settings)
    try:
        history.init()
        return transfer(history, shards, sealer, limit or settings.history_transfer_batch)
    finally:
        history.close()


def _claim(sealer: Sealer, shard: Shard) -> VerdictClaim:
    def build(link: ChainLink) -> Verdict:
        return sealer.sign(
            shard.statement,
            link,
            service=shard.service,
            run_id=shard.run_id,
            evaluated_at=shard.run["evaluated_at"],
            achieved_level=str(shard.run["achieved_level"]),
        )

    return VerdictClaim(
        shard.service,
        shard.run_id,
        build,
        unchanged=lambda known: says_the_same(known, shard.statement),
    )

"""The batched history transfer (docs/history.md): ``record`` tasks write their runs as
shards, one transfer loads them all and seals their verdicts. On DuckDB and on BigQuery
(the official client against the emulator): the chain verifies, a retried ``record`` or a
retried transfer never doubles a row or a verdict, a batch costs the same statements
whatever its size, and a hostile shard is moved aside with its reason while the rest load."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from readiness.audit.verify import verify
from readiness.history import HistoryStore, RunMeta, history_for
from readiness.history.shards import ShardStore, shard_name
from readiness.pipeline.stages import ServiceStages
from readiness.pipeline.transfer import run_transfer, shard_store
from readiness.pipeline.verdicts import evidence_archive, keyring, says_the_same
from readiness.spec.config import Settings

ROOT = Path(__file__).resolve().parents[1]
FSS, MNT = "file-storage-service", "maintenance-service"
DAYS = [datetime(2026, 11, d, 6, tzinfo=UTC) for d in (20, 27, 28)]
ITEMS = {FSS: 99, MNT: 116}


@dataclass
class Project:
    settings: Settings
    folder: Path

    @property
    def shards(self) -> ShardStore:
        store = shard_store(self.settings)
        assert store is not None
        return store

    def history(self) -> HistoryStore:
        history = history_for(self.settings)
        history.init()
        return history

    def record(self, service: str, day: datetime, run_key: str) -> dict[str, Any]:
        """A service's run through its DAG's stages: collect each source, score, record."""
        stages = ServiceStages(self.settings, service)
        collected = [stages.collect(source.id, day) for source in stages.sources]
        scored, _warnings = stages.score(collected, day, run_key)
        return stages.record(scored, RunMeta(run_key=run_key, trigger="scheduled"))

    def count(self, table: str) -> int:
        rows = self.history().select(f"SELECT COUNT(*) AS n FROM {{dataset}}.{table}")
        return int(rows[0]["n"])

    def pending(self) -> list[str]:
        return self.shards.pending(10_000)


def _settings(tmp_path: Path, **chosen: Any) -> Settings:
    """The sample evidence, a key and keyring of the test's own, and what the test chose."""
    base: dict[str, Any] = {
        "outbox": str(tmp_path / "outbox"),
        "collect_workers": 1,
        "evidence_root": "samples/evidence",
        "verdict_key": str(tmp_path / "verdict-key.pem"),
        "verdict_keyring": str(tmp_path / "verdict-keyring.json"),
    }
    return Settings(project_root=ROOT, **{**base, **chosen})


@pytest.fixture(params=["duckdb", "bigquery"])
def project(request: pytest.FixtureRequest, tmp_path: Path) -> Project:
    history = f"duckdb://{tmp_path}/history.duckdb"
    endpoint = ""
    if request.param == "bigquery":
        from readiness.testing.emulators import PROJECT

        endpoint = request.getfixturevalue("bigquery_emulator")
        history = f"bigquery://{PROJECT}/transfer_{uuid.uuid4().hex[:8]}"
    settings = _settings(
        tmp_path,
        history=history,
        bigquery_endpoint=endpoint,
        history_timeout_s=30,
        history_transfer=str(tmp_path / "shards"),
        exemptions_root="samples/exemptions",
        evidence_archive=str(tmp_path / "evidence-archive"),
        verdict_archive=str(tmp_path / "verdict-archive"),
    )
    return Project(settings, tmp_path)


def _verified(project: Project, service: str) -> None:
    report = verify(
        project.history(),
        keyring(project.settings),
        service=service,
        archive=evidence_archive(project.settings),
    )
    assert report.ok, report.broken[:3]


def test_recorded_runs_wait_as_shards_and_one_transfer_loads_and_seals_them(
    project: Project,
) -> None:
    for n, day in enumerate(DAYS, start=1):
        for service in (FSS, MNT):
            result = project.record(service, day, f"d{n}")
            assert "verdict" not in result and result["shard"].startswith(
                project.settings.history_transfer
            )
        if n == 2:  # an Airflow retry of a record task rewrites its shard, adds none
            project.record(FSS, day, "d2")
        assert len(project.pending()) == 2  # nothing is in history until the transfer
        report = run_transfer(project.settings)
        assert (len(report.runs), report.rejected) == (2, [])
        assert project.pending() == []
    assert project.count("evaluations") == 6
    assert project.count("item_results") == 3 * (ITEMS[FSS] + ITEMS[MNT])
    history = project.history()
    for service in (FSS, MNT):
        chain = history.verdicts(service)
        assert [v.sequence for v in chain] == [1, 2, 3]
        assert all(v.supersedes is None for v in chain)
        _verified(project, service)
    # the envelopes were archived as the direct path archives them
    archived = sorted((project.folder / "verdict-archive" / FSS).iterdir())
    assert [p.name[:8] for p in archived] == ["00000001", "00000002", "00000003"]
    # each run scored against the runs transferred before it: the regression on the 27th
    # and the recovery on the 28th, as the direct path records them (test_bigquery.py)
    levels = history.select(
        "SELECT run_key, achieved_level, previous_level FROM {dataset}.evaluations "
        "WHERE service = @service ORDER BY evaluated_at",
        service=FSS,
    )
    assert [(r["achieved_level"], r["previous_level"]) for r in levels] == [
        ("L2", None),
        ("L1", "L2"),
        ("L2", "L1"),
    ]


def test_a_shard_states_what_the_direct_path_signs(project: Project) -> None:
    project.record(FSS, DAYS[0], "d1")
    shard = project.shards.read(project.pending()[0])
    direct = replace(project.settings, history_transfer="")
    stages = ServiceStages(direct, FSS)
    collected = [stages.collect(source.id, DAYS[0]) for source in stages.sources]
    scored, _warnings = stages.score(collected, DAYS[0], "d1")
    stages.record(scored, RunMeta(run_key="d1", trigger="scheduled"))
    signed = history_for(direct).run_verdict(FSS, shard.run_id)
    assert signed is not None and says_the_same(signed, shard.statement)
    changed = json.loads(json.dumps(shard.statement))
    changed["predicate"]["achieved_level"] = "L3"
    assert not says_the_same(signed, changed)


def test_a_transfer_retried_after_any_crash_converges(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    from readiness.history.shards import ShardStore as Store
    from readiness.pipeline.verdicts import Sealer

    for service in (FSS, MNT):
        project.record(service, DAYS[0], "d1")
    # 1. the rows are loaded, then the signing fails: the shards stay
    real_sign = Sealer.sign

    def failing_sign(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("killed while signing")

    monkeypatch.setattr(Sealer, "sign", failing_sign)
    with pytest.raises(RuntimeError, match="killed while signing"):
        run_transfer(project.settings)
    assert len(project.pending()) == 2
    assert project.count("evaluations") == 2
    assert project.count("verdicts") == 0
    monkeypatch.setattr(Sealer, "sign", real_sign)
    # 2. the verdicts are appended, then removing the shards fails
    real_remove = Store.remove

    def failing_remove(self: Store, name: str) -> None:
        raise OSError("killed before the shards were removed")

    monkeypatch.setattr(Store, "remove", failing_remove)
    with pytest.raises(OSError, match="killed before"):
        run_transfer(project.settings)
    first = {v.reference for v in project.history().verdicts()}
    assert len(first) == 2 and len(project.pending()) == 2
    monkeypatch.setattr(Store, "remove", real_remove)
    # 3. the retry: the same rows, the same two verdicts (none superseded), shards gone
    report = run_transfer(project.settings)
    assert set(report.verdicts) == first
    assert {v.reference for v in project.history().verdicts()} == first
    assert project.count("evaluations") == 2
    assert project.count("item_results") == ITEMS[FSS] + ITEMS[MNT]
    assert project.pending() == []
    _verified(project, FSS)


def test_a_hostile_shard_is_moved_aside_with_its_reason_and_the_rest_load(
    project: Project,
) -> None:
    project.record(FSS, DAYS[0], "d1")
    project.record(MNT, DAYS[0], "d1")
    folder = project.folder / "shards"
    shards = [json.loads((folder / name).read_text()) for name in project.pending()]
    mnt = next(shard for shard in shards if shard["service"] == MNT)
    # a shard under its own run's name whose rows claim another service's run
    forged = json.loads(json.dumps(mnt))
    forged["run_id"] = "forged-run"
    forged["statement"]["predicate"]["run"]["id"] = "forged-run"
    (folder / shard_name(MNT, "forged-run")).write_text(json.dumps(forged))
    (folder / shard_name(MNT, "torn")).write_bytes(b'{"format": "readiness.shard/1", "ser')
    report = run_transfer(project.settings)
    assert len(report.runs) == 2
    assert len(report.rejected) == 2
    joined = "\n".join(report.rejected)
    assert "run.run_id: expected a row of run 'forged-run'" in joined
    assert "(file): expected a JSON shard" in joined
    assert project.pending() == []
    rejected = sorted(p.name for p in (folder / "rejected").iterdir())
    assert len(rejected) == 4 and sum(name.endswith(".why.txt") for name in rejected) == 2
    assert project.count("evaluations") == 2  # the forged rows replaced nothing
    _verified(project, MNT)


def test_a_batch_costs_the_same_statements_whatever_its_size(
    tmp_path: Path, bigquery_emulator: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Counted on the official client against the emulator: one look-up, one load job and
    one MERGE per table, one read of the chain heads and one MERGE of the verdicts."""
    from readiness.history import bigquery_store
    from readiness.testing.emulators import PROJECT, CountingClient

    clients: list[CountingClient] = []
    real_client = bigquery_store.bigquery_client

    def counted(*args: Any) -> CountingClient:
        clients.append(CountingClient(real_client(*args)))
        return clients[-1]

    monkeypatch.setattr(bigquery_store, "bigquery_client", counted)
    costs = []
    for size in (1, 2):
        settings = _settings(
            tmp_path,
            history=f"bigquery://{PROJECT}/batch_{uuid.uuid4().hex[:8]}",
            bigquery_endpoint=bigquery_emulator,
            history_timeout_s=30,
            history_transfer=str(tmp_path / f"shards-{size}"),
            outbox=str(tmp_path / f"outbox-{size}"),
            evidence_archive="none",
        )
        project = Project(settings, tmp_path)
        project.history().close()  # the dataset made first: its DDL is not the batch's
        for n, day in enumerate(DAYS[:size], start=1):
            for service in (FSS, MNT):
                project.record(service, day, f"d{n}")
        clients.clear()
        report = run_transfer(settings)
        assert len(report.runs) == 2 * size
        jobs: dict[str, int] = {}
        for client in clients:
            for kind, count in client.jobs.items():
                jobs[kind] = jobs.get(kind, 0) + count
        costs.append(jobs)
    assert costs[0] == costs[1], costs  # 2 runs or 4 (two of a service): the same jobs
    assert costs[0]["dml"] <= 4, costs  # item_results, evaluations, verdicts (+ events)
    assert costs[0]["load"] == 3, costs  # item_results, evaluations, verdicts


def test_shards_in_a_bucket_are_loaded_and_a_bad_one_is_kept_aside(
    tmp_path: Path, gcs_client: Any
) -> None:
    """The production layout: shards in Cloud Storage (``gcp-storage-emulator``)."""
    bucket = f"shards-{uuid.uuid4().hex[:8]}"
    gcs_client.create_bucket(bucket)
    settings = _settings(
        tmp_path,
        history=f"duckdb://{tmp_path}/history.duckdb",
        history_transfer=f"gs://{bucket}/runs",
        evidence_archive="none",
    )
    project = Project(settings, tmp_path)
    first = project.record(FSS, DAYS[0], "d1")
    again = project.record(FSS, DAYS[0], "d1")  # a retried record task: the same object
    assert first["shard"] == again["shard"] and len(project.pending()) == 1
    assert first["shard"].startswith(f"gs://{bucket}/runs/pending/")
    assert project.shards.has(FSS, f"{FSS}@d1")
    blobs = gcs_client.bucket(bucket)
    blobs.blob(f"runs/{shard_name(FSS, 'x')}").upload_from_string(b"\xff not json")
    assert len(project.pending()) == 2
    report = run_transfer(settings)
    assert len(report.runs) == 1 and len(report.rejected) == 1
    assert project.pending() == []
    names = sorted(b.name for b in gcs_client.list_blobs(bucket))
    kept = f"runs/rejected/{Path(shard_name(FSS, 'x')).name}"
    assert names == [kept, f"{kept}.why.txt"]
    assert blobs.blob(kept).download_as_bytes() == b"\xff not json"  # kept, not lost
    assert [v.sequence for v in project.history().verdicts(FSS)] == [1]


def test_a_transfer_killed_between_its_rows_and_its_verdicts_converges(tmp_path: Path) -> None:
    """The real crash: ``readiness transfer`` SIGKILLed at failpoint ``transfer`` (rows and
    events in, verdicts not), then run again."""
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "READINESS_HOME": str(ROOT),
        "READINESS_HISTORY": f"duckdb://{tmp_path}/history.duckdb",
        "READINESS_HISTORY_TRANSFER": str(tmp_path / "shards"),
        "READINESS_OUTBOX": str(tmp_path / "outbox"),
        "READINESS_VERDICT_KEY": str(tmp_path / "verdict-key.pem"),
        "READINESS_VERDICT_KEYRING": str(tmp_path / "verdict-keyring.json"),
        "READINESS_EVIDENCE_ARCHIVE": "none",
    }
    settings = replace(
        Settings(project_root=ROOT, collect_workers=1, evidence_root="samples/evidence"),
        history=env["READINESS_HISTORY"],
        history_transfer=env["READINESS_HISTORY_TRANSFER"],
        outbox=env["READINESS_OUTBOX"],
        verdict_key=env["READINESS_VERDICT_KEY"],
        verdict_keyring=env["READINESS_VERDICT_KEYRING"],
        evidence_archive="none",
    )
    project = Project(settings, tmp_path)
    for service in (FSS, MNT):
        project.record(service, DAYS[0], "d1")
    command = [sys.executable, "-m", "readiness.cli", "transfer", "--json"]
    killed = subprocess.run(
        command,
        env={**env, "READINESS_TEST_FAILPOINTS": "1", "READINESS_FAILPOINT": "transfer"},
        capture_output=True,
        timeout=120,
    )
    assert killed.returncode == -9, killed.stderr[-2000:]
    assert project.count("evaluations") == 2 and project.count("verdicts") == 0
    assert len(project.pending()) == 2
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout)["runs"] == 2
    assert project.count("evaluations") == 2
    assert project.count("item_results") == ITEMS[FSS] + ITEMS[MNT]
    assert [v.sequence for v in project.history().verdicts(FSS)] == [1]
    assert project.pending() == []
    _verified(project, FSS)

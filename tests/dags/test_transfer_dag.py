"""The history transfer through Airflow (``dag.test()``): with ``history_transfer`` set, a
service DAG's run is recorded as a shard, and the ``readiness__history_transfer`` DAG loads
it into history and signs its verdict; a shard that cannot be loaded fails that transfer
run, without a retry, after the others are in."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from readiness.history import open_history
from readiness.history.shards import shard_name
from readiness.spec.config import load_settings

FSS = "file-storage-service"
RUN_AT = datetime(2026, 11, 20, 5, tzinfo=UTC)
TRANSFER_AT = datetime(2026, 11, 20, 5, 10, tzinfo=UTC)


@pytest.mark.slow
def test_a_recorded_run_waits_as_a_shard_until_the_transfer_dag_signs_it(
    metadata_db: Path, readiness_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from readiness_airflow.factory import build_dags
    from readiness_airflow.local import run_dag
    from readiness_airflow.transfer import TRANSFER_DAG_ID

    shards = readiness_env / "shards"
    monkeypatch.setenv("READINESS_HISTORY_TRANSFER", str(shards))
    monkeypatch.setenv("READINESS_VERDICT_KEY", str(readiness_env / "key.pem"))
    monkeypatch.setenv("READINESS_VERDICT_KEYRING", str(readiness_env / "keyring.json"))
    settings = load_settings()
    dags = build_dags(settings)
    assert TRANSFER_DAG_ID in dags
    assert dags[TRANSFER_DAG_ID].max_active_runs == 1
    service = dags[f"readiness__{FSS}"]
    assert service.get_task("record").pool == "default_pool"  # a shard needs no DML slot

    ran = run_dag(service, RUN_AT)
    assert ran.succeeded, ran.task_states
    assert ran.note and "verdict signed by the history transfer" in ran.note
    pending = sorted((shards / "pending").iterdir())
    assert len(pending) == 1
    history = open_history(settings.history, str(settings.project_root))
    history.init()
    assert history.verdicts(FSS) == [] and history.snapshot(FSS) is None

    # a shard a hostile writer dropped in beside it, under a run's name
    (shards / shard_name(FSS, "forged")).write_text('{"format": "readiness.shard/1"}')
    moved = run_dag(dags[TRANSFER_DAG_ID], TRANSFER_AT)
    assert not moved.succeeded
    assert moved.task_states == {"load_pending_shards": "failed"}  # no retry: nothing to redo
    # the good shard was loaded and signed all the same
    chain = history.verdicts(FSS)
    assert [v.sequence for v in chain] == [1]
    snapshot = history.snapshot(FSS)
    assert snapshot is not None and snapshot.run_id == chain[0].run_id
    assert not (shards / "pending").exists() or not any((shards / "pending").iterdir())
    why = (shards / "rejected" / f"{Path(shard_name(FSS, 'forged')).name}.why.txt").read_text()
    assert "service: expected a service name" in why

    clean = run_dag(dags[TRANSFER_DAG_ID], datetime(2026, 11, 20, 5, 15, tzinfo=UTC))
    assert clean.succeeded, clean.task_states  # nothing pending: an empty, green run

"""The chaos suite's quick subset runs in CI (``make chaos`` runs it all, adding kill -9
between the tracker and the link in the CLI, a Linear storm while an issue closes and two
services' runs at once): kill -9 inside the history write and a half-written evidence file
in the CLI's process; then in real Airflow task processes, kill -9 inside the BigQuery
write and between Linear and the link, and the BigQuery and Cloud Storage emulators
stopped mid-task and restarted. After recovery nothing is lost or doubled, and each
Airflow fault was recovered by Airflow's own retry of the task."""

from __future__ import annotations

import pytest


@pytest.mark.slow
def test_the_quick_chaos_subset_recovers_every_fault() -> None:
    from readiness.testing import chaos

    outcomes = chaos.main(["--quick"])
    assert [o.scenario for o in outcomes] == [
        "kill -9 during record",
        "half-written evidence file",
        "Airflow: kill -9 of the record task",
        "Airflow: kill -9 of sync_issues between Linear and the link",
        "Airflow: BigQuery emulator stopped mid-record, restarted",
        "Airflow: Cloud Storage emulator stopped mid-collect, restarted",
    ]
    for outcome in outcomes:
        assert outcome.ok, outcome
    assert sum(o.faults for o in outcomes) == 7
    # the faulted task failed first, then Airflow's retry succeeded
    for outcome in outcomes[2:]:
        assert any(note.endswith("tries: failed → success") for note in outcome.notes), outcome

"""The chaos suite's quick subset runs in CI: kill -9 inside the history write and a
half-written evidence file in the CLI's process, then kill -9 of a real Airflow record task
inside the BigQuery write. ``make chaos`` runs it all (kill -9 between Linear and the link,
the BigQuery and Cloud Storage emulators stopped mid-task, a Linear storm, two services at
once). After recovery nothing is lost or doubled, and the Airflow fault was recovered by
Airflow's own retry of the task."""

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
    ]
    for outcome in outcomes:
        assert outcome.ok, outcome
    assert all(o.faults >= 1 for o in outcomes)  # each scenario's fault landed
    # the faulted task failed first, then Airflow's retry succeeded
    for outcome in outcomes[2:]:
        assert any(note.endswith("tries: failed → success") for note in outcome.notes), outcome

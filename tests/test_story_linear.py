"""The sample story with the tracker set to Linear, pointed at the local fake Linear (built
on Linear's published schema) through LINEAR_API_KEY and LINEAR_ENDPOINT alone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from readiness.cli.main import main
from readiness.history.duckdb_store import DuckDBHistory
from readiness.trackers.linear.fake_server import FakeLinear

ROOT = Path(__file__).resolve().parents[1]
T1, T2, T3 = "2026-11-20T06:00:00Z", "2026-11-27T06:00:00Z", "2026-11-28T06:00:00Z"
KEY = "lin_api_story_key"


@pytest.fixture
def linear(readiness_env: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeLinear]:
    fake = FakeLinear(api_key=KEY)
    monkeypatch.setenv("READINESS_TRACKER", "linear")
    monkeypatch.setenv("LINEAR_API_KEY", KEY)
    monkeypatch.setenv("LINEAR_ENDPOINT", fake.start())
    yield fake
    fake.stop()
    assert fake.rejected == []


def test_story_in_linear_opens_once_and_closes_on_remediation(
    readiness_env: Path, linear: FakeLinear
) -> None:
    history = DuckDBHistory(readiness_env / "history.duckdb")
    assert main(["evaluate", "--as-of", T1, "--run-id", "r1"]) == 0
    assert linear.issues == {}
    assert main(["evaluate", "--as-of", T2, "--run-id", "r2"]) == 0
    (issue,) = linear.issues.values()
    assert issue["identifier"] == "STO-1"
    assert issue["title"].startswith("[readiness] file-storage-service RP3:")
    labels = {linear.labels[i]["name"] for i in issue["labelIds"]}
    assert labels == {"service:file-storage-service", "readiness"}
    assert "L2 → L1" in issue["description"]

    mutations = len(linear.calls("mutation"))
    assert main(["evaluate", "--as-of", T2, "--run-id", "r2"]) == 0  # the same run again
    assert len(linear.issues) == 1
    assert len(linear.calls("mutation")) == mutations  # nothing sent

    assert main(["evaluate", "--as-of", T3, "--run-id", "r3"]) == 0
    assert linear.state_of("STO-1") == "completed"
    links = history.links("file-storage-service")
    assert [(lk.tracker, lk.item_id, lk.issue_key, lk.state, lk.closed_reason) for lk in links] == [
        ("linear", "RP3", "STO-1", "closed", "remediated")
    ]
    assert links[0].url == "https://linear.app/fake/issue/STO-1"

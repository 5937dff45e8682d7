"""The chaos suite's quick subset runs in CI (``make chaos`` runs it all): kill -9 inside
the history write and between the tracker and the link, and a half-written evidence file;
after recovery nothing is lost or doubled."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_the_quick_chaos_subset_recovers_every_fault() -> None:
    spec = importlib.util.spec_from_file_location("chaos", ROOT / "scripts" / "chaos.py")
    assert spec and spec.loader
    chaos = importlib.util.module_from_spec(spec)
    sys.modules["chaos"] = chaos  # dataclasses look their module up there
    spec.loader.exec_module(chaos)
    outcomes = chaos.main(["--quick"])
    assert [o.scenario for o in outcomes] == [
        "kill -9 during record",
        "kill -9 during sync_issues, between tracker and link",
        "half-written evidence file",
    ]
    for outcome in outcomes:
        assert outcome.ok, outcome
    assert sum(o.faults for o in outcomes) == 5

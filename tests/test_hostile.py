"""The hostile-input corpus (``make hostile``), all of it: every input is refused, no level
is raised and nothing is written outside the project. Each case names the finding of the
security review it comes from; the unit tests beside each fix show the mechanism."""

from __future__ import annotations

import pytest


def test_every_hostile_input_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    from readiness.testing.hostile import main

    results = main([])
    printed = capsys.readouterr().out
    not_refused = [f"{r.case.name}: {r.note}" for r in results if not r.refused]
    assert not_refused == []
    assert [r.case.name for r in results if r.level_raised] == []
    assert [r.case.name for r in results if r.written_outside] == []
    assert len(results) >= 17
    assert printed.splitlines()[-1] == (
        f"hostile inputs tried {len(results)}, refused {len(results)}, level raised 0, "
        "files written outside 0"
    )

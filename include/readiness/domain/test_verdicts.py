"""The verdict document: RFC 8785 canonical bytes and the chain's links."""

from __future__ import annotations

from datetime import UTC, datetime

from readiness.domain.verdicts import ChainLink, Verdict, canonical, next_link


def test_canonical_json_is_rfc_8785() -> None:
    # key order by UTF-16 code units, no whitespace, numbers in ECMAScript form
    assert canonical({"b": 1.0, "a": [True, None, "é"], "\u20ac": 1e21, "1": 1e-7}) == (
        '{"1":1e-7,"a":[true,null,"é"],"b":1,"€":1e+21}'.encode()
    )


def _verdict(sequence: int, run_id: str, sha: str) -> Verdict:
    return Verdict(
        service="svc",
        sequence=sequence,
        run_id=run_id,
        evaluated_at=datetime(2026, 11, 20, tzinfo=UTC),
        sha256=sha,
        previous=None,
        supersedes=None,
        key_id="k",
        achieved_level="L1",
        envelope={},
    )


def test_the_chain_starts_at_one_and_a_rerun_supersedes_its_run() -> None:
    assert next_link(None) == ChainLink(1, None, None)
    head = _verdict(4, "svc@d4", "aa")
    assert next_link((head.sequence, head.sha256)) == ChainLink(5, "aa", None)
    assert next_link((4, "aa"), replaced="bb") == ChainLink(5, "aa", "bb")
    assert head.reference == "svc#4 sha256:aa"
    assert Verdict.from_row(head.row()) == head

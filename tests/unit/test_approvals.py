"""What an answer in Airflow puts on record (``pipeline.approvals.answer``), and which
requests wait for one (``awaiting``), against a real DuckDB history: the rules hold whoever
the HITL task was assigned to, since a checklist without approvers assigns nobody."""

from __future__ import annotations

import textwrap
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from readiness.history.duckdb_store import DuckDBHistory
from readiness.pipeline.approvals import answer, asked, awaiting
from readiness.spec.config import Settings
from readiness.spec.loader import Catalog, load_catalog
from readiness.spec.overrides import item_requests

NOW = datetime(2026, 11, 20, 9, tzinfo=UTC)
CHECKLIST = """
checklist: guarded
title: Guarded
levels: [{id: L0, name: Dev}, {id: L1, name: Prod}]
exemptions: {approvers: [sre-lead, security-lead], max_duration: 30d}
sections:
  - id: s
    title: S
    items:
      - id: S1
        title: restore drill
        required_from: L1
        evidence: {kind: document, params: {document: drill_report}}
        expectations:
          - expect_column_values_to_be_in_set: {column: outcome, value_set: [passed]}
"""


@pytest.fixture
def world(tmp_path: Path) -> tuple[Settings, Catalog, DuckDBHistory, dict[str, Any]]:
    (tmp_path / "guarded.yaml").write_text(textwrap.dedent(CHECKLIST))
    spec = {
        "service": "svc",
        "owner_team": "team",
        "tracker_team": "TEAM",
        "target_level": "L1",
        "checklist": "guarded",
        "waivers": [
            {"item": "S1", "reason": "r", "expires": "2026-12-31", "requested_by": "sre-lead"}
        ],
    }
    (tmp_path / "svc.yaml").write_text(yaml.safe_dump(spec))
    catalog = load_catalog([tmp_path / "guarded.yaml"], [tmp_path / "svc.yaml"])
    settings = Settings(project_root=tmp_path, exemptions_root=str(tmp_path / "exemptions"))
    history = DuckDBHistory(tmp_path / "h.duckdb")
    history.init()
    (request,) = item_requests(catalog.checklists["guarded"], catalog.specs["svc"])
    return settings, catalog, history, request.as_json()


def _answer(world: Any, by: str, option: str = "Grant", until: str = "") -> dict[str, Any]:
    _settings, catalog, history, request = world
    return answer(
        catalog,
        history,
        request,
        chosen=[option],
        params={"until": until, "comment": "c"},
        responder={"id": by, "name": by},
        responded_at=NOW + timedelta(seconds=30),  # answered after it was asked
        source="airflow:readiness__exemptions/r/approve[0]",
    )


def test_the_requester_cannot_grant_their_own_request(world: Any) -> None:
    recorded = _answer(world, "sre-lead", until="2026-12-01")
    assert recorded["event"] == "grant_refused"
    assert "sre-lead requested" in recorded["comment"] and "their own" in recorded["comment"]


def test_only_a_named_approver_grants_and_never_for_longer_than_allowed(world: Any) -> None:
    assert "may not grant" in _answer(world, "intern", until="2026-12-01")["comment"]
    too_long = _answer(world, "security-lead")  # empty: the day asked for, 41 days away
    assert too_long["event"] == "grant_refused"
    assert "a grant of 41 days (until 2026-12-31) is longer than the 30 days" in too_long["comment"]
    assert "not a date" in _answer(world, "security-lead", until="soon")["comment"]
    granted = _answer(world, "security-lead", until="2026-12-15")
    assert (granted["event"], granted["actor"], granted["valid_until"]) == (
        "granted",
        "security-lead",
        "2026-12-15",
    )
    assert _answer(world, "intern", option="Refuse")["event"] == "refused"  # anyone may say no


def test_a_request_waits_until_asked_and_again_after_a_refused_grant(world: Any) -> None:
    settings, catalog, history, request = world
    (approval,) = awaiting(settings, catalog, history, NOW)
    assert approval.approvers == ("security-lead",)  # the requester is not asked
    assert approval.latest_until == date(2026, 12, 20) and "at most 30 days" in approval.body
    asked(history, request, NOW, "airflow:x")
    assert awaiting(settings, catalog, history, NOW + timedelta(minutes=1)) == []
    _answer(world, "security-lead")  # too long: refused, so it waits again
    assert len(awaiting(settings, catalog, history, NOW + timedelta(minutes=1))) == 1
    _answer(world, "security-lead", until="2026-12-01")
    assert awaiting(settings, catalog, history, NOW + timedelta(minutes=1)) == []
    # the grant ends on 12-01: on 12-02 the request waits for a new one
    assert len(awaiting(settings, catalog, history, datetime(2026, 12, 2, tzinfo=UTC))) == 1


def test_two_runs_listing_one_request_put_it_to_its_approvers_once(world: Any) -> None:
    """The hourly tick and a triggered run both list a waiting request: only the first to
    record ``asked`` opens an approval; after a refused grant the next round opens again."""
    _settings, _catalog, history, request = world
    assert asked(history, request, NOW, "airflow:hourly")
    assert not asked(history, request, NOW + timedelta(seconds=1), "airflow:triggered")
    assert [e["event"] for e in history.exemption_events("svc")] == ["asked"]
    _answer(world, "security-lead")  # too long: refused
    assert asked(history, request, NOW + timedelta(minutes=2), "airflow:next")
    assert not asked(history, request, NOW + timedelta(minutes=3), "airflow:other")

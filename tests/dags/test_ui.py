"""The readiness pages and JSON API inside the Airflow api-server (the real app, its auth
manager and its token endpoint, in-process): who asks for what, and what they get."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
FSS, MNT = "file-storage-service", "maintenance-service"
PASSWORDS = {"admin": "admin-pass", "fss": "fss-pass"}


@pytest.fixture(scope="module")
def api(metadata_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The api-server app with the readiness plugin, the story's history and the DAGs
    known to the metadata DB; ``fss`` is a viewer whose auth manager rules let them read
    file-storage-service's DAG only (as per-DAG rules in FAB or Keycloak would)."""
    import os
    import secrets

    from airflow.api_fastapi.app import create_app, get_auth_manager, purge_cached_app
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.dagbag import DagBag, sync_bag_to_db
    from fastapi.testclient import TestClient

    from readiness.history import RunMeta
    from readiness.pipeline.engine import evaluate
    from readiness.spec.config import load_settings

    work = tmp_path_factory.mktemp("ui")
    saved = dict(os.environ)
    os.environ.update(
        {
            "READINESS_HOME": str(ROOT),
            "READINESS_EVIDENCE_ROOT": "samples/evidence",
            "READINESS_EXEMPTIONS_ROOT": "samples/exemptions",
            "READINESS_HISTORY": f"duckdb://{work}/history.duckdb",
            "READINESS_OUTBOX": str(work / "outbox"),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin,fss:viewer",
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(32),
        }
    )
    (metadata_db / "passwords.json").write_text(json.dumps(PASSWORDS))
    settings = load_settings()
    for day, key in (
        (datetime(2026, 11, 20, 6, tzinfo=UTC), "d1"),
        (datetime(2026, 11, 27, 6, tzinfo=UTC), "d2"),
    ):
        evaluate(settings, as_of=day, meta=RunMeta(run_key=key, trigger="scheduled"))
    DagBundlesManager().sync_bundles_to_db()
    sync_bag_to_db(DagBag(dag_folder=str(ROOT / "dags")), "dags-folder", None)
    purge_cached_app()
    # the pages' "now" is pinned to the story's week, so the test never depends on the date
    # it runs on (the 90-day windows would otherwise leave the story behind)
    from readiness_airflow import ui

    pinned = ui._now
    ui._now = lambda: datetime(2026, 11, 28, 12, tzinfo=UTC)  # type: ignore[assignment]
    app = create_app()
    manager = get_auth_manager()
    everything = manager.filter_authorized_dag_ids

    def per_dag(*, dag_ids: set[str], user: Any, **kwargs: Any) -> set[str]:
        allowed = everything(dag_ids=dag_ids, user=user, **kwargs)
        return {f"readiness__{FSS}"} & allowed if user.username == "fss" else allowed

    manager.filter_authorized_dag_ids = per_dag  # type: ignore[method-assign]
    try:
        with TestClient(app) as client:
            yield client
    finally:
        ui._now = pinned  # type: ignore[assignment]
        os.environ.clear()
        os.environ.update(saved)
        purge_cached_app()


def _token(api: Any, user: str) -> dict[str, str]:
    answer = api.post("/auth/token", json={"username": user, "password": PASSWORDS[user]})
    assert answer.status_code in (200, 201), answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


@pytest.mark.parametrize(
    "path",
    [
        "/readiness/",
        "/readiness/api/v1/services",
        f"/readiness/api/v1/services/{FSS}",
        f"/readiness/services/{FSS}",
        f"/readiness/dags/readiness__{FSS}",
        "/readiness/openapi.json",
    ],
)
def test_no_token_no_history(api: Any, path: str) -> None:
    answer = api.get(path)
    assert answer.status_code in (401, 403), (path, answer.status_code)
    assert FSS not in answer.text and "RP3" not in answer.text
    forged = api.get(path, headers={"Authorization": "Bearer not-a-token"})
    assert forged.status_code in (401, 403) and FSS not in forged.text


def test_an_admin_sees_the_portfolio_and_a_service(api: Any) -> None:
    headers = _token(api, "admin")
    listed = api.get("/readiness/api/v1/services", headers=headers).json()
    rows = {r["service"]: r for r in listed["services"]}
    assert set(rows) == {FSS, MNT}
    assert (rows[FSS]["level"], rows[FSS]["target"], rows[FSS]["below_target"]) == (
        "L1",
        "L3",
        True,
    )
    assert [r["item_id"] for r in rows[FSS]["open_regressions"]] == ["RP3"]
    assert listed["queries"] == 6  # the whole portfolio, whatever the number of services

    detail = api.get(f"/readiness/api/v1/services/{FSS}", headers=headers).json()
    assert detail["next_level"] == "L2"
    assert "RP3" in {r["item_id"] for r in detail["blocking"]}
    ahead = detail["forecast"]  # from the latest evaluation: when L1 lapses, and why
    assert (ahead["service"], ahead["level"], ahead["target"]) == (FSS, "L1", "L3")
    assert set(ahead) >= {"next_lapse", "below_target", "due", "renewed_by_tooling"}
    # the portfolio's one-query forecasts agree with the service's own, service by service
    for service in (FSS, MNT):
        own = api.get(f"/readiness/api/v1/services/{service}", headers=headers).json()
        assert rows[service]["next_lapse"] == own["forecast"]["next_lapse"], service
    service_page = api.get(f"/readiness/services/{FSS}", headers=headers)
    assert "<h2>Next lapse</h2>" in service_page.text
    # the level timeline goes on into the forecast's 30 days, dashed
    assert "<h2>Level, last 90 days and the next 30</h2>" in service_page.text
    assert "stroke-dasharray" in service_page.text  # flat when nothing lapses within 30 days
    assert "forecast if nothing is renewed" in service_page.text
    page = api.get("/readiness/", headers=headers)
    assert page.status_code == 200 and FSS in page.text and "below target" in page.text
    assert "<th data-k='lapse'>next lapse</th>" in page.text  # sortable, as every column
    for service in (FSS, MNT):
        lapse = rows[service]["next_lapse"]
        if lapse is not None:
            assert f"<td data-v='{lapse['at']}'><b>{lapse['level']}</b> on {lapse['at'][:10]}" in (
                page.text
            )
    tab = api.get(f"/readiness/dags/readiness__{FSS}", headers=headers)
    assert tab.status_code == 200 and "What blocks L2" in tab.text


def test_a_user_who_cannot_read_a_dag_never_sees_its_service(api: Any) -> None:
    headers = _token(api, "fss")
    listed = api.get("/readiness/api/v1/services", headers=headers).json()
    assert [r["service"] for r in listed["services"]] == [FSS]
    for path in (
        f"/readiness/api/v1/services/{MNT}",
        f"/readiness/services/{MNT}",
        f"/readiness/dags/readiness__{MNT}",
    ):
        answer = api.get(path, headers=headers)
        assert answer.status_code == 404 and "OBS4" not in answer.text, path
    assert MNT not in api.get("/readiness/", headers=headers).text


def test_untrusted_text_is_escaped_and_the_api_is_documented(api: Any) -> None:
    headers = _token(api, "admin")
    hostile = api.get("/readiness/services/<script>alert(1)</script>", headers=headers)
    assert hostile.status_code == 404 and "<script>" not in hostile.text
    schema = api.get("/readiness/openapi.json", headers=headers).json()
    assert "/api/v1/services" in schema["paths"]
    assert "/api/v1/services/{service}" in schema["paths"]


def test_a_service_page_shows_expected_versus_observed_and_links_each_items_history(
    api: Any,
) -> None:
    headers = _token(api, "admin")
    page = api.get(f"/readiness/services/{FSS}", headers=headers).text
    assert "expected vs observed" in page and "✗" in page and "✓" in page
    assert f"/readiness/api/v1/services/{FSS}/items/RP3" in page
    history = api.get(f"/readiness/api/v1/services/{FSS}/items/RP3", headers=headers).json()
    assert [h["status"] for h in history["history"]] == ["stale", "pass"]  # newest first
    denied = api.get(f"/readiness/api/v1/services/{MNT}/items/OBS4", headers=_token(api, "fss"))
    assert denied.status_code == 404
    listed = api.get("/readiness/api/v1/services", headers=headers).json()["services"]
    due = {d["kind"] for r in listed for d in r["due"]}
    assert due <= {"waiver", "sign-off"} and due  # something falls due in the story


def test_no_page_loads_anything_from_outside_and_swagger_is_off(api: Any) -> None:
    """Swagger's and ReDoc's pages answered without a user and loaded JavaScript from a
    public CDN."""
    for path in ("/readiness/docs", "/readiness/redoc", "/readiness/docs/oauth2-redirect"):
        assert api.get(path).status_code in (401, 403, 404), path
    headers = _token(api, "admin")
    for path in ("/readiness/", f"/readiness/services/{FSS}"):
        page = api.get(path, headers=headers).text
        assert "<script src=" not in page and "cdn." not in page, path


def test_the_team_filter_lists_only_the_teams_of_services_you_may_read(api: Any) -> None:
    page = api.get("/readiness/", headers=_token(api, "fss")).text
    assert "storage-platform" in page and "ops-experience" not in page


def test_the_portfolio_comes_in_pages_that_count_every_service(api: Any) -> None:
    headers = _token(api, "admin")
    whole = api.get("/readiness/api/v1/services", headers=headers).json()
    first = api.get("/readiness/api/v1/services?limit=1", headers=headers).json()
    second = api.get("/readiness/api/v1/services?offset=1&limit=1", headers=headers).json()
    assert [r["service"] for r in first["services"]] == [FSS]
    assert [r["service"] for r in second["services"]] == [MNT]
    assert (first["total"], first["next_offset"], second["next_offset"]) == (2, 1, None)
    assert first["below_target"] == whole["below_target"] == second["below_target"]
    assert second["services"][0] == whole["services"][1]  # a page's row is the same row
    assert api.get("/readiness/api/v1/services?limit=0", headers=headers).status_code == 422
    beyond = api.get("/readiness/api/v1/services?offset=5", headers=headers).json()
    assert beyond["services"] == [] and beyond["total"] == 2 and beyond["queries"] == 1
    page = api.get("/readiness/?page=2", headers=headers).text  # one page of 100 holds both
    assert "2 service(s)" in page and FSS not in page.split("<tbody>")[1]


def test_the_pager_keeps_the_filters_and_stops_at_the_ends() -> None:
    from readiness_airflow.pagebits import _pager

    assert _pager(1, 100, 100, {}) == ""  # one page: no pager
    first = _pager(1, 100, 250, {"team": "ops & co", "level": None})
    assert "previous" not in first and "services 1–100 of 250" in first
    assert "href='?team=ops+%26+co&amp;page=2'" in first
    last = _pager(3, 100, 250, {})
    assert "next" not in last and "services 201–250 of 250" in last and "page=2" in last


def test_a_link_that_is_not_http_or_gs_is_shown_as_text() -> None:
    from readiness_airflow.ui import _link

    hostile = _link("javascript:alert(document.domain)///healthz", css="mono")
    assert "<a" not in hostile and "javascript:alert(document.domain)///healthz" in hostile
    assert "<a" not in _link(" JaVaScRiPt:alert(1)") and "<a" not in _link("data:text/html,x")
    assert _link("https://ci.example.com/x?a=1&b=2").startswith(
        "<a href='https://ci.example.com/x?a=1&amp;b=2'"
    )
    assert _link("gs://bucket/evidence/x.json").startswith("<a href='gs://")


def test_a_service_page_shows_each_exemption_asked_and_what_is_on_record(api: Any) -> None:
    """maintenance-service's spec asks to waive OBS4 (RISK-118); sre-lead granted it outside
    Airflow on 09-02 (a grant document under the exemptions root), and the risk register took
    it over on 11-25: the page and the JSON say so, with both on record."""
    headers = _token(api, "admin")
    detail = api.get(f"/readiness/api/v1/services/{MNT}", headers=headers).json()
    (asked,) = [e for e in detail["exemptions"] if e["request"]["requested_by"] != "risk-register"]
    assert (asked["request"]["item"], asked["state"]) == ("OBS4", "granted")
    assert "granted by sre-lead@example.com on 2026-11-25 until 2026-12-31" in asked["words"]
    events = {
        (e["event"], e["actor"], e["occurred_at"][:10])
        for e in detail["exemption_events"]
        if e["request_id"] == asked["request"]["id"]
    }
    assert ("requested", "team:ops-experience", "2026-11-20") in events
    assert ("granted", "sre-lead@example.com", "2026-09-02") in events
    assert ("granted", "sre-lead@example.com", "2026-11-25") in events
    page = api.get(f"/readiness/services/{MNT}", headers=headers).text
    assert "<h2>Exemptions</h2>" in page and asked["request"]["id"] in page
    assert "class='x-granted'" in page


def test_a_run_past_its_deadline_shows_late_until_it_is_recorded(api: Any) -> None:
    from readiness.history import RunMeta, history_for
    from readiness.lifecycle.announcements import late_run
    from readiness.pipeline.engine import evaluate
    from readiness.spec.config import load_settings

    settings = load_settings()
    tick = datetime(2026, 11, 28, 5, tzinfo=UTC)
    dag_run_id = "scheduled__2026-11-28T05:00:00+00:00"
    due = datetime(2026, 11, 28, 7, tzinfo=UTC)
    history = history_for(settings)
    history.save_notifications(
        [
            late_run(s, "team", dag_run_id, due, 120).ledger_row("record", "", due)
            for s in (FSS, MNT)
        ]
    )
    history.close()
    headers = _token(api, "admin")

    def late() -> dict[str, list[str]]:
        listed = api.get("/readiness/api/v1/services", headers=headers).json()["services"]
        return {r["service"]: [x["run_id"] for x in r["late_runs"]] for r in listed}

    assert late() == {FSS: [dag_run_id], MNT: [dag_run_id]}
    page = api.get("/readiness/", headers=headers).text
    assert f"run {dag_run_id} past its deadline" in page
    # file-storage-service's run finishes after all: it is no longer late
    meta = RunMeta(run_key="d3", trigger="scheduled", dag_run_id=dag_run_id)
    evaluate(settings, as_of=tick, meta=meta, services=[FSS])
    assert late() == {FSS: [], MNT: [dag_run_id]}

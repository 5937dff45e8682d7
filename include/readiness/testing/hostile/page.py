"""The service page as the api-server renders it, through the readiness FastAPI app with
the user's visible services given (Airflow's auth is tested against a real api-server in
tests/dags/test_ui.py; here only what the page makes of hostile values matters)."""

from __future__ import annotations


def service_page(service: str) -> str:
    import sys

    from fastapi.testclient import TestClient

    from readiness.testing.hostile.project import ROOT

    if str(ROOT / "plugins") not in sys.path:  # as the api-server has it: plugins/ on the path
        sys.path.append(str(ROOT / "plugins"))

    from readiness_airflow import ui

    ui.app.dependency_overrides[ui._visible] = lambda: {service}
    try:
        with TestClient(ui.app) as client:
            answer = client.get(f"/services/{service}")
            answer.raise_for_status()
            return answer.text
    finally:
        ui.app.dependency_overrides.clear()


def live_probe_uri(service: str, item: str, uri: str) -> None:
    """Record ``uri`` as the evidence of the latest run of ``item``, as the live
    ``http_probe`` does for an endpoint it cannot reach (the recorded probes of the embedded
    default name their document instead)."""
    import duckdb

    from readiness.spec.config import load_settings

    settings = load_settings()
    path = settings.path(settings.history.removeprefix("duckdb://"))
    with duckdb.connect(str(path)) as con:
        con.execute(
            f"UPDATE {settings.dataset}.item_results SET evidence_uri = ? "
            "WHERE service = ? AND item_id = ?",
            [uri, service, item],
        )

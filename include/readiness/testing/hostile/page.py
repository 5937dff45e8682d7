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

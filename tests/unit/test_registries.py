"""Plug-in points are registries: a tracker or a history backend is one entry, and the
settings accept whatever is registered (nothing else names the implementations)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from readiness import trackers
from readiness.history import BACKENDS, open_history
from readiness.spec.config import load_settings
from readiness.spec.loader import load_catalog
from readiness.support.errors import ConfigError
from readiness.trackers import TRACKERS, TrackerKind
from readiness.trackers.outbox.tracker import OutboxTracker

ROOT = Path(__file__).resolve().parents[2]


class MemoryTracker:
    """A tracker added by one registry line, for this test."""

    name = "memory"

    def __init__(self, settings: Any, **options: Any) -> None:
        self.options = options


def make_memory_tracker(settings: Any, **options: Any) -> MemoryTracker:
    return MemoryTracker(settings, **options)


def test_a_tracker_is_one_registry_entry(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(
        TRACKERS, "memory", TrackerKind("memory", f"{__name__}:make_memory_tracker")
    )
    monkeypatch.setenv("READINESS_HOME", str(ROOT))
    monkeypatch.setenv("READINESS_TRACKER", "memory")
    settings = load_settings()
    tracker = trackers.open_tracker(settings, api_key="k")
    assert isinstance(tracker, MemoryTracker) and tracker.options == {"api_key": "k"}


def test_the_settings_name_what_is_registered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("READINESS_HOME", str(ROOT))
    monkeypatch.setenv("READINESS_TRACKER", "jira")
    with pytest.raises(ConfigError) as raised:
        load_settings()
    assert "expected 'outbox' or 'linear', got 'jira'" in str(raised.value)


def test_the_shipped_trackers_open_from_their_entries(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("READINESS_HOME", str(ROOT))
    monkeypatch.setenv("READINESS_OUTBOX", str(tmp_path / "outbox"))
    assert isinstance(trackers.open_tracker(load_settings()), OutboxTracker)
    linear = TRACKERS["linear"].connection
    assert linear is not None and (linear.conn_id, linear.secret_env) == (
        "linear_default",
        "LINEAR_API_KEY",
    )


def test_history_backends_by_scheme(tmp_path: Path) -> None:
    assert set(BACKENDS) == {"duckdb", "bigquery"}
    store = open_history(f"duckdb://{tmp_path}/h.duckdb", str(ROOT))
    assert type(store).__name__ == "DuckDBHistory"
    assert type(open_history(str(tmp_path / "bare.duckdb"), str(ROOT))).__name__ == (
        "DuckDBHistory"
    )
    with pytest.raises(ConfigError, match="expected a URL starting with duckdb:// or bigquery://"):
        open_history("postgres://x/y", str(ROOT))


def test_every_collector_names_its_source_and_recorded_ones_read_the_store_by_default() -> None:
    from readiness.collectors import KINDS, get_collector, source_of
    from readiness.evidence.documents import document_kinds

    for kind in KINDS:
        collector = get_collector(kind)
        assert collector.kind == kind and collector.source.isidentifier(), kind
        assert collector.outage in ("source", "endpoint"), kind
        assert collector.recorded is None or collector.recorded in document_kinds(), kind
    assert source_of("http_probe", live=True) == "http"
    assert source_of("http_probe", live=False) == "store"  # the uptime checks' exports
    assert source_of("repo_grep", live=False) == "repo"
    assert source_of("bigquery_table", live=True) == "bigquery"


def test_a_service_is_collected_in_one_task_per_source() -> None:
    from readiness.spec.overrides import sources

    settings = load_settings()
    catalog = load_catalog(settings.checklist_paths, settings.service_paths)
    spec = catalog.specs["file-storage-service"]
    checklist = catalog.checklist_for(spec)
    assert sources(checklist, spec, live=False) == ["repo", "store"]
    assert sorted(sources(checklist, spec, live=True)) == [
        "bigquery",
        "gcs",
        "http",
        "repo",
        "store",
    ]

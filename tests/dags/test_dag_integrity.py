"""DAG integrity (Astronomer's template): every DAG file imports cleanly, one DAG per
service spec with the tags, schedule and docs the specs say, and one broken spec breaks
only its own DAG."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from readiness.spec.config import Settings
from readiness.spec.loader import load_catalog
from readiness.spec.overrides import sources
from readiness.support.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
# jsonschema is not here: Airflow itself imports it.
HEAVY = ("great_expectations", "pandas", "numpy", "google", "duckdb", "sqlglot")


def _dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(ROOT / "dags"))


def _settings(services: Path | None = None) -> Settings:
    return Settings(project_root=ROOT, services=[str(services or ROOT / "services")])


def test_every_dag_file_imports_without_errors() -> None:
    bag = _dagbag()
    assert bag.import_errors == {}
    specs = load_catalog(_settings().checklist_paths, _settings().service_paths).specs
    expected = {f"readiness__{name}" for name in specs} | {
        "readiness__quarterly_revalidation",
        "readiness__exemptions",
        "readiness__metadata_retention",
    }
    assert set(bag.dag_ids) == expected


def test_service_dags_follow_their_specs() -> None:
    bag = _dagbag()
    catalog = load_catalog(_settings().checklist_paths, _settings().service_paths)
    for name, spec in catalog.specs.items():
        dag = bag.dags.get(f"readiness__{name}")
        assert dag is not None
        assert set(dag.tags) == {"readiness", f"service:{name}", f"team:{spec.owner_team}"}
        # the spec's cron, or (with evidence events, the embedded default) its evidence
        # events too: an asset whose watcher listens on the service's own channel
        timetable: Any = dag.timetable
        assert getattr(timetable, "timetable", timetable).expression == spec.schedule
        if _settings().evidence_events:
            [asset] = list(timetable.asset_condition.iter_assets().values())
            assert asset.uri == f"readiness://evidence/{name}"
            [watcher] = asset.watchers
            assert watcher.trigger.kwargs["channels"] == [f"readiness.evidence.{name}"]
        assert dag.owner_links and spec.owner_team in dag.owner_links
        assert not dag.catchup
        # the checklist is in the DAG's docs: every item id of the service's checklist
        checklist = catalog.checklist_for(spec)
        assert dag.doc_md is not None
        for item in checklist.items:
            assert f"| {item.id} |" in dag.doc_md
        # grid: one collection task mapped over the evidence sources, then score, record, sync
        assert {t.task_id for t in dag.tasks} == {"collect", "score", "record", "sync_issues"}
        collect = dag.get_task("collect")
        assert collect.partial_kwargs["retries"] >= 2
        assert collect.partial_kwargs["retry_exponential_backoff"]
        assert collect.op_kwargs_expand_input.value["source"] == sources(checklist, spec, False)  # type: ignore[attr-defined]
        assert dag.get_task("sync_issues").upstream_task_ids == {"record", "score"}
        outlets = dag.get_task("record").outlets
        assert [a.uri for a in outlets] == [f"readiness://history/{name}"]


def test_quarterly_dag_runs_every_service_on_the_first_of_each_quarter() -> None:
    dag = _dagbag().dags.get("readiness__quarterly_revalidation")
    assert dag is not None
    assert dag.timetable.expression == "0 6 1 1,4,7,10 *"  # type: ignore[attr-defined]
    revalidate = dag.get_task("revalidate")
    specs = load_catalog(_settings().checklist_paths, _settings().service_paths).specs
    assert revalidate.op_kwargs_expand_input.value["service"] == sorted(specs)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda text: text.replace("target_level: L3", "target_level: L9"), "target_level"),
        (lambda text: text + "\n  - [unclosed\n", "malformed YAML"),
        (lambda text: text.replace('schedule: "0 5 * * *"', 'schedule: "at five"'), "schedule"),
    ],
    ids=["unknown-level", "bad-yaml", "bad-schedule"],
)
def test_a_broken_spec_breaks_only_its_own_dag(tmp_path: Path, edit, expected: str) -> None:
    from readiness_airflow.factory import build_dags

    services = tmp_path / "services"
    shutil.copytree(ROOT / "services", services)
    spec = services / "file-storage-service.yaml"
    spec.write_text(edit(spec.read_text()))

    dags = build_dags(_settings(services))

    assert "readiness__maintenance-service" in dags  # the healthy one still loads
    broken = dags["readiness__file-storage-service"]
    assert "broken-spec" in broken.tags
    assert expected in (broken.doc_md or "")
    (task,) = broken.tasks
    assert task.task_id == "spec_problems"
    # the task fails with the problems, naming the file and the field
    with pytest.raises(ConfigError) as failed:
        task.python_callable(*task.op_args, **task.op_kwargs)  # type: ignore[attr-defined]
    assert str(spec) in str(failed.value) and expected in str(failed.value)
    # the quarterly DAG revalidates only what can run
    quarterly = dags["readiness__quarterly_revalidation"].get_task("revalidate")
    assert quarterly.op_kwargs_expand_input.value["service"] == ["maintenance-service"]  # type: ignore[attr-defined]


def test_parsing_the_dag_folder_imports_nothing_heavy() -> None:
    """GX, pandas and the Google clients are imported by the tasks, never at parse time
    (checked in a fresh interpreter so other tests' imports do not count)."""
    code = (
        "import sys, json\n"
        "from airflow.dag_processing.dagbag import DagBag\n"
        f"bag = DagBag(dag_folder={str(ROOT / 'dags')!r})\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & set(json.loads(sys.argv[1])))\n"
        "print(json.dumps({'dags': len(bag.dags), 'errors': len(bag.import_errors), "
        "'heavy': heavy}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, json.dumps(HEAVY)],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=120,
        check=True,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    # 2 services, quarterly, exemptions, metadata retention
    assert result == {"dags": 5, "errors": 0, "heavy": []}


def _many_specs(tmp_path: Path, n: int) -> Path:
    services = tmp_path / "services"
    shutil.copytree(ROOT / "services", services)
    template = (services / "file-storage-service.yaml").read_text()
    for i in range(n):
        name = f"generated-{i:04d}"
        text = template.replace("service: file-storage-service", f"service: {name}")
        (services / f"{name}.yaml").write_text(text)
    (services / "broken.yaml").write_text("service: [unclosed\n")
    return services


def test_a_task_process_builds_only_the_dag_being_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the parsing context set (as Airflow sets it for a task), the factory reads the
    checklists and that service's spec, and no other spec."""
    from airflow.sdk.definitions._internal.dag_parsing_context import (
        _airflow_parsing_context_manager,
    )

    import readiness.spec.loader.catalog as catalog
    from readiness_airflow.factory import build_dags

    services = _many_specs(tmp_path, 50)
    opened: list[str] = []
    real = catalog.parse_spec
    monkeypatch.setattr(catalog, "parse_spec", lambda p: (opened.append(p.name), real(p))[1])

    with _airflow_parsing_context_manager(dag_id="readiness__generated-0007", task_id="score"):
        dags = build_dags(_settings(services))
    assert list(dags) == ["readiness__generated-0007"]
    assert opened == ["generated-0007.yaml"]
    assert [t.task_id for t in dags["readiness__generated-0007"].tasks] == [
        "collect",
        "score",
        "record",
        "sync_issues",
    ]

    # the quarterly DAG maps over every service, and a broken spec's DAG needs the whole
    # folder: both build everything, as the dag-processor does
    for dag_id, tried in (("readiness__quarterly_revalidation", 0), ("readiness__broken", 1)):
        opened.clear()
        with _airflow_parsing_context_manager(dag_id=dag_id, task_id="x"):
            dags = build_dags(_settings(services))
        assert dag_id in dags and len(dags) == 56, dag_id
        assert len(opened) == 53 + tried, dag_id

    # the exemptions DAG's tasks read the specs when they run, not when they parse
    opened.clear()
    with _airflow_parsing_context_manager(dag_id="readiness__exemptions", task_id="approve"):
        dags = build_dags(_settings(services))
    assert list(dags) == ["readiness__exemptions"] and opened == []


def test_history_writes_go_through_the_configured_pool() -> None:
    from dataclasses import replace

    from readiness_airflow.factory import build_dags

    pooled = build_dags(replace(_settings(), history_write_pool="readiness_history"))
    record = pooled["readiness__file-storage-service"].get_task("record")
    assert record.pool == "readiness_history"
    plain = build_dags(_settings())["readiness__file-storage-service"].get_task("record")
    assert plain.pool == "default_pool"


@pytest.mark.parametrize(("delay_s", "first", "sync"), [(30, 30, 60), (2, 2, 4)])
def test_retry_delays_follow_the_setting(delay_s: int, first: int, sync: int) -> None:
    from dataclasses import replace
    from datetime import timedelta

    from readiness_airflow.factory import QUARTERLY_DAG_ID, build_dags

    dags = build_dags(replace(_settings(), task_retry_delay_s=delay_s))
    dag = dags["readiness__file-storage-service"]
    assert dag.get_task("collect").partial_kwargs["retry_delay"] == timedelta(seconds=first)
    assert dag.get_task("record").retry_delay == timedelta(seconds=first)
    assert dag.get_task("sync_issues").retry_delay == timedelta(seconds=sync)
    assert dag.get_task("record").retry_exponential_backoff  # still doubling
    quarterly = dags[QUARTERLY_DAG_ID]
    assert quarterly.get_task("revalidate").partial_kwargs["retry_delay"] == timedelta(seconds=sync)
    assert quarterly.get_task("quarterly_report").retry_delay == timedelta(seconds=first)


def _cron(dag: Any) -> str:
    """The cron of a DAG's schedule, with or without its evidence asset."""
    timetable = getattr(dag.timetable, "timetable", dag.timetable)
    return str(timetable.expression)


def test_the_daily_tick_spreads_by_service_inside_its_hour() -> None:
    """With ``tick_spread_minutes`` each service's cron moves by its own offset; its hour,
    days and every other DAG stay as written. Without it, the spec's cron is the DAG's."""
    from dataclasses import replace

    from readiness.domain.ticks import spread_tick
    from readiness_airflow.factory import build_dags

    spread = build_dags(replace(_settings(), tick_spread_minutes=60))
    plain = build_dags(_settings())
    moved = {}
    for service in ("file-storage-service", "maintenance-service"):
        cron = _cron(plain[f"readiness__{service}"])
        moved[service] = _cron(spread[f"readiness__{service}"])
        assert moved[service] == spread_tick(cron, service, 60) != cron
        assert moved[service].split()[1:] == cron.split()[1:]
    assert len(set(moved.values())) == 2  # two services, two minutes
    quarterly = "readiness__quarterly_revalidation"
    assert _cron(spread[quarterly]) == _cron(plain[quarterly])


def test_a_build_near_airflows_import_timeout_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    """At 10,000 specs the build takes most of the default 30 s: the log says which
    setting to raise before the whole fleet's DAGs become one import error."""
    from readiness_airflow import factory, parsing

    monkeypatch.delenv("AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT", raising=False)
    assert parsing.warn_near_import_timeout(14.0, 10_003) is None  # under half of 30 s
    said = parsing.warn_near_import_timeout(25.0, 10_003)
    assert said and "10003 DAGs took 25.0 s of the 30 s dagbag_import_timeout" in said
    monkeypatch.setenv("AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT", "120")
    assert parsing.warn_near_import_timeout(25.0, 10_003) is None
    monkeypatch.setenv("AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT", "0.0001")  # any build is slow
    logged: list[str] = []
    monkeypatch.setattr(parsing.log, "warning", lambda msg, *a: logged.append(msg % a))
    dags = factory.build_dags()
    assert any(f"building {len(dags)} DAGs took" in m for m in logged), logged
    assert any("AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT" in m for m in logged)

"""DAG-folder parse time: the readiness DAG file (every DAG generated from N service specs)
next to N static, hand-written DAG files with the same tasks, tags and docs (the floor), and
what a task process pays: the same file parsed with Airflow's parsing context naming one
service DAG (``get_parsing_context().dag_id``), next to one hand-written DAG file.

Each side is parsed by ``DagBag`` in a fresh interpreter, and only the fill is timed (not
interpreter start-up or ``import airflow``), which is what the dag-processor pays on every
re-parse, and then what it does with the bag: each DAG serialised (``_serialize_dags``),
timed on its own. Prints one table; ``--json`` writes the figures for bench/run.py.

    python bench/parse_dags.py [N ...]      (default: 1 100 1000)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "plugins"))

from readiness_airflow.local import airflow_env  # noqa: E402

TEMPLATE = ROOT / "services" / "file-storage-service.yaml"

STATIC_DAG = '''"""Hand-written DAG {n}: what a team would write without the factory."""
from datetime import datetime, timedelta, UTC
from airflow.sdk import DAG, Asset, task

@task(retries=3, retry_delay=timedelta(seconds=30), retry_exponential_backoff=2.0)
def collect(service: str, section: str) -> dict:
    return {{}}

@task
def score(service: str, collected: list) -> dict:
    return {{}}

@task
def record(service: str, evaluation: dict) -> dict:
    return {{}}

@task
def sync_issues(service: str, evaluation: dict) -> dict:
    return {{}}

with DAG(
    dag_id={dag_id!r},
    schedule={schedule!r},
    start_date=datetime(2026, 1, 1, tzinfo=UTC),
    catchup=False,
    max_active_runs=1,
    tags={tags!r},
    doc_md={doc!r},
):
    collected = collect.partial(service={service!r}).expand(section={sections!r})
    evaluation = score({service!r}, collected)
    recorded = record.override(outlets=[Asset(name={asset!r}, uri={asset_uri!r})])(
        {service!r}, evaluation
    )
    recorded >> sync_issues({service!r}, evaluation)
'''

FORKED = """
import json, os, sys, time
sys.path.insert(0, sys.argv[2])
from airflow.dag_processing.dagbag import DagBag
from readiness_airflow.executors import preload_validation
preload_validation()  # what ReadinessLocalExecutor and the Celery workers do before forking
spent = []
for _ in range(3):
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        t = time.process_time()
        bag = DagBag(dag_folder=sys.argv[1])
        os.write(w, json.dumps([time.process_time() - t, len(bag.dags)]).encode())
        os._exit(0)
    os.waitpid(pid, 0)
    spent.append(json.loads(os.read(r, 200)))
print(json.dumps({"seconds": min(s for s, _ in spent), "dags": spent[0][1], "errors": 0}))
"""

PARSE = """
import json, sys, time
from airflow.dag_processing.dagbag import DagBag
started = time.perf_counter()
bag = DagBag(dag_folder=sys.argv[1])
elapsed = time.perf_counter() - started
from airflow.dag_processing.processor import _serialize_dags
import structlog
# what the dag-processor does next with the bag: each DAG to its serialised form
started = time.perf_counter()
serialised, failed = _serialize_dags(bag, structlog.get_logger())
serialising = time.perf_counter() - started
size = sum(len(json.dumps(s.data)) for s in serialised)
print(json.dumps({"seconds": elapsed, "dags": len(bag.dags), "errors": len(bag.import_errors),
                  "serialise_s": serialising, "serialised_bytes": size,
                  "serialise_errors": len(failed)}))
"""


def make_specs(folder: Path, n: int) -> list[str]:
    """N copies of the file-storage-service spec under other names."""
    text = TEMPLATE.read_text()
    names = []
    for i in range(n):
        name = f"bench-service-{i:04d}"
        (folder / f"{name}.yaml").write_text(
            text.replace("service: file-storage-service", f"service: {name}")
        )
        names.append(name)
    return names


def make_static(folder: Path, names: list[str]) -> None:
    """One hand-written DAG file per service, with the docs and sections literal."""
    from readiness.spec.checklist_doc import checklist_markdown
    from readiness.spec.loader import load_catalog

    catalog = load_catalog([ROOT / "checklists"], [TEMPLATE])
    spec = catalog.specs["file-storage-service"]
    checklist = catalog.checklist_for(spec)
    doc = checklist_markdown(spec, checklist)
    sections = [s.id for s in checklist.sections]
    for name in names:
        (folder / f"{name}.py").write_text(
            STATIC_DAG.format(
                n=name,
                dag_id=f"static__{name}",
                schedule=spec.schedule,
                tags=["readiness", f"service:{name}", f"team:{spec.owner_team}"],
                doc=doc,
                service=name,
                sections=sections,
                asset=f"readiness_history.{name}",
                asset_uri=f"readiness://history/{name}",
            )
        )


def parse(
    dags_folder: Path, env: dict[str, str], dag_id: str | None = None, forked: bool = False
) -> dict[str, Any]:
    """``forked``: the CPU-s of a task's parse forked from a process that preloaded what
    tasks import, as the task processes of ReadinessLocalExecutor and Celery are."""
    if dag_id:  # what the task runner sets before it parses the DAG file
        env = {**env, "_AIRFLOW_PARSING_CONTEXT_DAG_ID": dag_id}
    code = (
        [FORKED, str(dags_folder), str(ROOT / "plugins")] if forked else [PARSE, str(dags_folder)]
    )
    out = subprocess.run(
        [sys.executable, "-c", *code],
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
        check=True,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def measure(n: int, work: Path) -> dict[str, Any]:
    services, static = work / f"services-{n}", work / f"static-{n}"
    services.mkdir()
    static.mkdir()
    names = make_specs(services, n)
    make_static(static, names)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "READINESS"))}
    env.update(airflow_env(ROOT, work / "airflow"))
    env["READINESS_SERVICES"] = str(services)
    env["AIRFLOW__LOGGING__LOGGING_LEVEL"] = "ERROR"
    # 10,000 specs come within seconds of the default 30 s: measured, not cut off
    env["AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT"] = "600"
    generated = parse(ROOT / "dags", env)
    hand_written = parse(static, env)
    assert generated["errors"] == 0 and hand_written["errors"] == 0, (generated, hand_written)
    assert generated["serialise_errors"] == 0 == hand_written["serialise_errors"]
    # the services, the quarterly, the exemptions and the metadata retention DAGs
    assert generated["dags"] == n + 3 and hand_written["dags"] == n, (generated, hand_written)
    one_static = work / f"one-static-{n}"
    one_static.mkdir()
    shutil.copy(static / f"{names[-1]}.py", one_static)
    in_task = parse(ROOT / "dags", env, dag_id=f"readiness__{names[-1]}")
    one = parse(one_static, env)
    forked = parse(ROOT / "dags", env, dag_id=f"readiness__{names[-1]}", forked=True)
    assert in_task["dags"] == 1 and one["dags"] == 1 and forked["dags"] == 1, (in_task, one)
    return {
        "specs": n,
        "generated_s": round(generated["seconds"], 3),
        "static_s": round(hand_written["seconds"], 3),
        "parse_vs_static": round(generated["seconds"] / hand_written["seconds"], 2),
        "generated_ms_per_dag": round(1000 * generated["seconds"] / n, 2),
        "serialise_s": round(generated["serialise_s"], 3),
        "static_serialise_s": round(hand_written["serialise_s"], 3),
        "serialised_kb_per_dag": round(generated["serialised_bytes"] / 1024 / (n + 3), 1),
        "task_parse_s": round(in_task["seconds"], 3),
        "one_static_s": round(one["seconds"], 3),
        "task_vs_static": round(in_task["seconds"] / one["seconds"], 2),
        "forked_task_parse_s": round(forked["seconds"], 3),
    }


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[1, 100, 1000])
    parser.add_argument("--json", type=Path, help="also write the rows to this file")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="readiness-parse-bench-"))
    try:
        rows = [measure(n, work) for n in args.sizes]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(
        f"{'specs':>6} {'generated s':>12} {'static s':>10} {'ratio':>7} {'ms/DAG':>8}"
        f" | {'task parse s':>12} {'1 static s':>10} {'ratio':>7} | {'forked, preloaded':>17}"
        f" | {'serialise s':>11} {'static':>7} {'KB/DAG':>7}"
    )
    for row in rows:
        print(
            f"{row['specs']:>6} {row['generated_s']:>12.3f} {row['static_s']:>10.3f} "
            f"{row['parse_vs_static']:>7.2f} {row['generated_ms_per_dag']:>8.2f}"
            f" | {row['task_parse_s']:>12.3f} {row['one_static_s']:>10.3f} "
            f"{row['task_vs_static']:>7.2f} | {row['forked_task_parse_s']:>17.3f}"
            f" | {row['serialise_s']:>11.3f} {row['static_serialise_s']:>7.3f}"
            f" {row['serialised_kb_per_dag']:>7.1f}"
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
    return rows


if __name__ == "__main__":
    main()

# Everything a fresh machine with only Python 3.11 needs. `make demo` runs the main job on
# embedded defaults; `make test` runs ruff, mypy and pytest.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
STAMP := $(VENV)/.installed
export READINESS_HOME := $(CURDIR)

.PHONY: help bootstrap demo quarter airflow-ui ui-screenshot test lint typecheck unit check lock clean bench bench-events bench-warehouse bench-quick chaos hostile ui-check exemptions-demo verify-demo

help:
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(UV): $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==0.13.9

$(STAMP): $(UV) requirements.lock pyproject.toml
	# compiled once here: these machines set PYTHONDONTWRITEBYTECODE, and without .pyc files
	# every Airflow task, CLI and test process recompiled Airflow, GX and pandas (~4 s each)
	$(UV) pip sync --quiet --compile-bytecode --python $(BIN)/python requirements.lock
	$(UV) pip install --quiet --python $(BIN)/python --no-deps -e .
	@touch $(STAMP)

bootstrap: $(STAMP) ## create .venv with the pinned dependencies (uv, seconds)

demo: $(STAMP) ## the main job: both services' DAGs through Airflow on embedded defaults
	$(BIN)/python scripts/demo.py

quarter: $(STAMP) ## a simulated 2026Q4 on the sample data: daily runs, the quarterly DAG, the report
	$(BIN)/python samples/quarter.py

airflow-ui: $(STAMP) ## the Airflow UI on http://localhost:8080 (airflow standalone), user admin
	$(BIN)/python scripts/airflow_ui.py

ui-screenshot: $(STAMP) ## docs/img/: the last 8 days of the living default in the Airflow UI and the readiness pages, checked in headless Chromium (needs chromium)
	$(BIN)/python scripts/ui_screenshot.py

ui-check: ui-screenshot ## the same: what a person sees in the readiness pages, asserted in Chromium

check: $(STAMP) ## validate the shipped checklists and service specs
	$(BIN)/readiness check

lint: $(STAMP) ## ruff (lint and format check), the layer contracts (import-linter) and the CI workflow's schema
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python scripts/lint_layers.py
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest -q

test: $(STAMP) ## ruff (lint + format) + the layer contracts + mypy + the CI workflow's schema + pytest
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python scripts/lint_layers.py
	$(BIN)/mypy
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
	$(BIN)/pytest -q

BENCH_PROD ?= --runs 3 --specs 2 1000 --executor local local-preload celery

bench: $(STAMP) ## benchmarks (BENCH_N services, default 1000): evaluation, GX vs floor, parse time, history writes; the production path (BENCH_PROD); the quarterly report
	$(BIN)/python bench/run.py
	$(BIN)/python bench/production_path.py $(BENCH_PROD)
	$(BIN)/python bench/verdicts.py --bigquery
	$(BIN)/python bench/report.py
	$(BIN)/python bench/importer_agreement.py
	$(BIN)/python bench/event_latency.py --events 20
	$(BIN)/python bench/warehouse.py

bench-warehouse: $(STAMP) ## the warehouse's write path at 1,000 / 10,000 / 100,000 services: statements counted on the emulator, the day computed
	$(BIN)/python bench/warehouse.py

exemptions-demo: $(STAMP) ## the issue's 20 self-granted waivers in real Airflow: no effect, then granted by a second user on the REST API; pictures of Required Actions and the service page, and the history rows
	$(BIN)/python scripts/exemptions_demo.py

verify-demo: $(STAMP) ## 30 days of the living default, then readiness verify on untouched history and on each insider edit (an item row, two verdicts reordered, an archived file swapped, a forged re-signing, a deleted run), on DuckDB and the BigQuery emulator
	$(BIN)/python scripts/verify_demo.py --bigquery

hostile: $(STAMP) ## hostile specs, evidence and repositories planted in a copy of the project, each refused (prints tried, refused, level raised, files written outside)
	$(BIN)/python scripts/hostile.py

chaos: $(STAMP) ## faults injected into real runs, CLI and Airflow tasks (kill -9 at failpoints, emulators stopped mid-task, Linear storms, a storage outage, half-written evidence, two writers), then the promises checked
	$(BIN)/python scripts/chaos.py

bench-events: $(STAMP) ## evidence landing → level in history and run note, through the AssetWatcher on a real cluster: median and max over 20 events (needs Redis)
	$(BIN)/python bench/event_latency.py --events 20

bench-quick: $(STAMP) ## the same benchmarks at small sizes (a few minutes)
	$(BIN)/pytest -q -m bench tests/test_bench_smoke.py
	BENCH_N=100 $(BIN)/python bench/run.py --no-bigquery
	$(BIN)/python bench/verdicts.py --runs 5
	$(BIN)/python bench/production_path.py --runs 1 --specs 2 100 --executor local-preload --idle 10
	$(BIN)/python bench/warehouse.py --runs 5

lock: $(UV) ## re-resolve requirements.lock from requirements-dev.in
	$(UV) pip compile --quiet --python-version 3.11 requirements-dev.in -o requirements.lock
	$(BIN)/python scripts/pin_requirements.py

clean:
	rm -rf var $(VENV)

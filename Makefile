# overdue — make help lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
CONFIG ?= configs/default.yaml

.DEFAULT_GOAL := help
.PHONY: help env data report test test-all lint format reference lab bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-9s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	@touch $(STAMP)

env: $(STAMP) ## create the virtual environment in .venv (if missing or pyproject changed)

data: env ## fetch raw inputs (from OVERDUE_DATA_MIRROR when set) and build data/processed
	$(VENV)/bin/overdue fetch
	$(VENV)/bin/overdue build

report: data ## the main job: the full report on the real data into reports/latest
	$(VENV)/bin/overdue run --config $(CONFIG)

test: env ## run the test suite (real-data tests use OVERDUE_DATA_MIRROR or data/raw)
	$(PY) -m pytest -q

test-all: env ## the test suite including slow statistical studies
	$(PY) -m pytest -q -m ""

lint: env ## check style and common bugs (ruff), as CI does before the tests
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: env ## reformat the code (ruff format) and apply safe lint fixes
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

reference: env ## rerun the slow statistical studies and rewrite their records in tests/reference
	$(PY) -m pytest -q -m slow --study-output tests/reference

lab: env ## start JupyterLab with the project's environment as its kernel
	$(VENV)/bin/jupyter lab notebooks $(if $(filter 0,$(shell id -u)),--allow-root)

bench: env ## run the benchmarks (minutes to an hour) and append to benchmarks/results
	@for script in benchmarks/bench_*.py; do echo "== $$script"; $(PY) $$script || exit 1; done

clean: ## remove processed data and run outputs (raw data and the environment stay)
	rm -rf data/processed/*.parquet reports/run-* reports/latest

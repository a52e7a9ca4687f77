# overdue — make help lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
CONFIG ?= configs/default.yaml
# What `make report` publishes: one run per config (each study its own), all at once on one pool
# of kernels; the LendingClub study last, so that reports/latest is its run (and
# reports/latest-<config> each config's).
REPORT_CONFIGS ?= configs/taiwan.yaml $(CONFIG)
# Notebooks executed at once (empty: the config's max_workers, else the number of cores).
MAX_WORKERS ?=
RUN ?= reports/latest
CHROMIUM ?= $(shell command -v chromium || command -v chromium-browser || command -v google-chrome)

.DEFAULT_GOAL := help
.PHONY: help env data report report-configs screenshots test test-all lint format reference lab bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-11s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	@touch $(STAMP)

env: $(STAMP) ## create the virtual environment in .venv (if missing or pyproject changed)

data: env ## fetch raw inputs (from OVERDUE_DATA_MIRROR when set) and build data/processed
	$(VENV)/bin/overdue fetch
	$(VENV)/bin/overdue build
	$(VENV)/bin/overdue build --source taiwan

report: data ## the main job: the full report on the real data into reports/latest
	$(VENV)/bin/overdue run $(foreach config,$(REPORT_CONFIGS),--config $(config)) \
	  $(if $(MAX_WORKERS),--max-workers $(MAX_WORKERS))

report-configs: # the configs `make report` runs, one a line (benchmarks/bench_report.py reads them)
	@printf '%s\n' $(REPORT_CONFIGS)

screenshots: env ## render the pages of RUN (default reports/latest) in headless Chromium to RUN/screenshots
	@if [ -z "$(CHROMIUM)" ]; then \
	  echo "make screenshots: skipped: no Chromium found (Debian: apt-get install chromium)"; \
	else \
	  CHROMIUM=$(CHROMIUM) $(VENV)/bin/overdue screenshots $(RUN); \
	fi

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

# DriftWatch: `make demo` runs the feature-drift story end to end, `make test` runs the tests.
# Both create .venv and install on first use. `make help` lists every target.
VENV ?= .venv
BIN := $(VENV)/bin
DW := $(BIN)/driftwatch
PYTEST_ARGS ?=
COMPOSE ?= docker compose
DATA ?= $(or $(DRIFTWATCH_HOME),var)/data
ROWS ?= 20000
SEED ?= 42
CURRENT ?= $(DATA)/feature_drift.parquet
# Registry version numbers read from `driftwatch models --json`: the newest, and production's.
LATEST_VERSION = $$($(DW) models --json | $(BIN)/python -c 'import json, sys; print(json.load(sys.stdin)[-1]["version"])')
PRODUCTION_VERSION = $$($(DW) models --json | $(BIN)/python -c 'import json, sys; print(next(v["version"] for v in json.load(sys.stdin) if "production" in v["aliases"]))')

.PHONY: help install test test-tools lint format bench docs docs-serve \
	up down logs api-logs up-local down-local \
	gen-base gen-feature gen-concept gen-blackfriday train promote-prod monitor control \
	demo demo-drift-feature demo-drift-concept demo-black-friday

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

install: $(VENV)/.installed

# System tools the suite runs (Prometheus for the Grafana checks): scripts/test-tools.sh installs
# them, or unpacks them into $(VENV)/tools without root; that folder goes on the tests' PATH.
test-tools:
	scripts/test-tools.sh

test: install test-tools
	PATH="$(CURDIR)/$(VENV)/tools/usr/bin:$$PATH" $(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The manual: a MkDocs site from docs/ (CLI reference and AsyncAPI generated at build time).
docs: install
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict -q

docs-serve: install
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve -a 127.0.0.1:8001

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

help:
	@echo "install test lint format bench docs docs-serve   development"
	@echo "up down logs api-logs                      Docker Compose (local processes without an engine)"
	@echo "up-local down-local                        local processes: driftwatch up / down"
	@echo "gen-base gen-feature gen-concept gen-blackfriday   data sets in $(DATA)/"
	@echo "train promote-prod monitor control         the ML pipeline step by step"
	@echo "demo-drift-feature demo-drift-concept demo-black-friday (demo = demo-drift-feature)"

# Entry scripts only: bench/decision_*.py are the decision bench's modules, not benches.
BENCHES := bench/bus_throughput.py bench/generate.py bench/train.py bench/serving.py \
	bench/monitor.py bench/decisions.py

bench: install
	@for script in $(BENCHES); do echo "== $$script"; $(BIN)/python $$script || exit 1; done

# Docker Compose when an engine answers; otherwise the same system as supervised local processes.
up: install
	@if docker info >/dev/null 2>&1; then \
		test -f .env || { echo ".env is missing: cp .env.example .env and set its values"; exit 1; }; \
		$(COMPOSE) up -d --build --wait; \
	else \
		echo "No Docker engine answers (docker info failed): starting the local stack instead."; \
		$(DW) up --mlflow-ui; \
	fi

down: install
	@if docker info >/dev/null 2>&1; then $(COMPOSE) down; else $(DW) down; fi

logs: install
	@if docker info >/dev/null 2>&1; then $(COMPOSE) logs -f; else $(DW) logs --follow; fi

api-logs: install
	@if docker info >/dev/null 2>&1; then $(COMPOSE) logs -f api; else $(DW) logs api --follow; fi

up-local: install
	$(DW) up --mlflow-ui

down-local: install
	$(DW) down

gen-base: install
	$(DW) generate --scenario baseline --rows $(ROWS) --seed $(SEED) --out $(DATA)/baseline.parquet

gen-feature: install
	$(DW) generate --scenario feature_drift --rows $(ROWS) --seed $(SEED) --out $(DATA)/feature_drift.parquet

gen-concept: install
	$(DW) generate --scenario concept_drift --rows $(ROWS) --seed $(SEED) --out $(DATA)/concept_drift.parquet

gen-blackfriday: install
	$(DW) generate --scenario black_friday --rows $(ROWS) --seed $(SEED) --out $(DATA)/black_friday.parquet

train: install
	$(DW) train --data $(DATA)/baseline.parquet

promote-prod: install
	$(DW) promote "$(LATEST_VERSION)" --alias production

monitor: install
	$(DW) monitor check --reference $(DATA)/baseline.parquet --current $(CURRENT) \
		--model-version "$(PRODUCTION_VERSION)"

control: install
	$(DW) control

demo: demo-drift-feature

demo-drift-feature: install
	$(DW) demo feature-drift

demo-drift-concept: install
	$(DW) demo concept-drift

demo-black-friday: install
	$(DW) demo black-friday

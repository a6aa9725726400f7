# DriftWatch: `make demo` runs the feature-drift story end to end, `make test` runs the tests.
# Both create .venv and install on first use.
VENV ?= .venv
BIN := $(VENV)/bin
DW := $(BIN)/driftwatch
PYTEST_ARGS ?=

.PHONY: install test lint format

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

install: $(VENV)/.installed

test: install
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

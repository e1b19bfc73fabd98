# Evenly hub. `make run` serves the hub with demo data; `make test` runs every test.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip

.PHONY: run test lint format bench schema clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# webhooks/ (evenly-webhooks) is installed from this repository before the hub that uses it.
$(VENV)/.installed: $(BIN)/python pyproject.toml constraints.txt webhooks/pyproject.toml
	$(PIP) install --quiet -c constraints.txt -e ./webhooks -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(PIP) install --quiet -c constraints.txt -e './webhooks[test]' -e '.[dev]'
	touch $@

## Install, migrate, seed demo organizations and accounts, serve on http://127.0.0.1:8000
run: $(VENV)/.installed
	$(BIN)/evenly-hub serve --demo

## Install dev dependencies, check lint and types, run the whole test suite
test: $(VENV)/.installed-dev lint
	$(BIN)/pytest

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check hub tests bench webhooks schema/contract
	$(BIN)/ruff format --check hub tests bench webhooks schema/contract
	$(BIN)/mypy
	$(BIN)/mypy --strict webhooks/evenly_webhooks webhooks/tests

format: $(VENV)/.installed-dev
	$(BIN)/ruff format hub tests bench webhooks schema/contract
	$(BIN)/ruff check --fix hub tests bench webhooks schema/contract

bench: $(VENV)/.installed-dev
	$(BIN)/python bench/placement.py
	$(BIN)/python bench/delivery.py
	$(BIN)/python bench/compliance.py

schema: $(VENV)/.installed
	$(BIN)/evenly-hub schema export > schema/schema.graphql

clean:
	rm -rf $(VENV) .evenly .pytest_cache .mypy_cache .ruff_cache

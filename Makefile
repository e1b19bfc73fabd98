# Evenly hub. `make run` serves the hub with demo data; `make test` runs every test.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip
# make run PORT=8001: serve on another port.
PORT ?= 8000
LINTED := hub tests bench webhooks schema/contract sdk/python examples scripts

.PHONY: run test lint format bench schema clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -qq --upgrade pip

# webhooks/ (evenly-webhooks) is installed from this repository before the hub and the SDK
# (sdk/python, package evenly) that use it.
$(VENV)/.installed: $(BIN)/python pyproject.toml constraints.txt webhooks/pyproject.toml
	$(PIP) install -qq -c constraints.txt -e ./webhooks -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed sdk/python/pyproject.toml
	$(PIP) install -qq -c constraints.txt -e './webhooks[test]' -e '.[dev]' -e './sdk/python[mcp]'
	touch $@

## Install, migrate, seed demo organizations and accounts, serve on http://127.0.0.1:$(PORT)
run: $(VENV)/.installed
	$(BIN)/evenly-hub serve --demo --port $(PORT)

# The tests run in one process per core (pytest-xdist, at most 4); under CI=true, where the
# slow load, fault and timing tests run too, in one, so no test's timings share the machine
# with another test.
TEST_PROCESSES := $(if $(filter true,$(CI)),,-n auto --maxprocesses 4)

## Install dev dependencies, check lint and types, run the whole test suite (hub, then SDK)
## on SQLite and PostgreSQL: where no PostgreSQL answers (outside CI), on a throwaway one
test: $(VENV)/.installed-dev lint
	$(BIN)/python -m tests.postgres_cluster sh -c \
		'$(BIN)/pytest $(TEST_PROCESSES) && $(BIN)/pytest $(TEST_PROCESSES) sdk/python/tests'

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)
	$(BIN)/mypy
	$(BIN)/mypy --strict webhooks/evenly_webhooks webhooks/tests
	$(BIN)/mypy --strict sdk/python/evenly sdk/python/tests examples

format: $(VENV)/.installed-dev
	$(BIN)/ruff format $(LINTED)
	$(BIN)/ruff check --fix $(LINTED)

bench: $(VENV)/.installed-dev
	$(BIN)/python bench/placement.py
	$(BIN)/python bench/delivery.py
	$(BIN)/python bench/compliance.py
	$(BIN)/python bench/sync.py
	$(BIN)/python bench/sdk.py
	$(BIN)/python bench/auth_guessing.py
	$(BIN)/python bench/portal.py

schema: $(VENV)/.installed
	$(BIN)/evenly-hub schema export > schema/schema.graphql

clean:
	rm -rf $(VENV) .evenly .pytest_cache .mypy_cache .ruff_cache

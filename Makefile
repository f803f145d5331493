# `make run` starts an instance on the embedded defaults; `make test` runs the suite.
# Both create .venv and install the project into it when needed.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck check audit clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/dreamfeed serve

# With CI=true the PostgreSQL half of the suite must run (not skip) and lint runs first.
test: $(STAMP)
ifeq ($(CI),true)
	$(MAKE) --no-print-directory lint
endif
	$(BIN)/python -m pytest -q -n auto

# Ruff, strict mypy, the layer contracts ([tool.importlinter] in pyproject.toml: a handler
# importing storage, or a low module importing services, fails here) and dead code.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-logo
	$(BIN)/vulture

typecheck: $(STAMP)
	$(BIN)/mypy

check: lint test

# Known vulnerabilities in .venv's packages. Exits 1 when some are found, 2 when pip-audit
# could not reach its advisory database (it alone would report that as "no vulnerabilities").
# Needs the network, so `check` and CI leave it out.
audit: $(STAMP)
	$(BIN)/python tools/audit.py $(AUDIT_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .import_linter_cache .grimp_cache

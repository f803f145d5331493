# `make run` starts an instance on the embedded defaults; `make test` runs the suite.
# Both create .venv and install the project into it when needed (`make run` the runtime
# dependencies only, `make test` the dev extra too).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Two stamps: `make run` installs what the server needs, the rest installs the dev extra
# too (pytest, mypy, ruff, Playwright...), which a self-hoster's .venv has no use for.
RUN_STAMP := $(VENV)/.installed-run
STAMP := $(VENV)/.installed-dev

.PHONY: run install diffusers-cpu messages test lint typecheck check audit clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $(RUN_STAMP)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP) $(RUN_STAMP)

# The former single stamp, for scripts that still name it: the whole dev install.
$(VENV)/.installed: $(STAMP)
	touch $@

# The diffusers engine's extra, with PyTorch's CPU-only wheel: what CI runs the engine's tests
# on (the plain Linux torch wheel pulls ~2.5 GB of CUDA libraries). TORCH_INDEX: an index
# holding the +cpu wheels, when pip's configuration does not already reach one.
DIFFUSERS_STAMP := $(VENV)/.installed-diffusers
TORCH_CPU ?= torch==2.13.0+cpu
TORCH_INDEX ?=

diffusers-cpu: $(DIFFUSERS_STAMP)

$(DIFFUSERS_STAMP): pyproject.toml $(STAMP)
	$(BIN)/python -m pip install --quiet $(if $(TORCH_INDEX),--extra-index-url $(TORCH_INDEX)) \
		'$(TORCH_CPU)'
	$(BIN)/python -m pip install --quiet -e '.[dev,diffusers]'
	touch $@

# .venv with the runtime dependencies only (what `make run` needs), without starting.
install: $(RUN_STAMP)

run: $(RUN_STAMP)
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

# The interface's messages: extract them from the code and templates (babel.cfg) into
# server/locale/messages.pot, then add the new ones to each language's catalogue (each
# server/locale/LANG/LC_MESSAGES/messages.po; translate what is empty there). The server
# compiles the .po files itself when it starts.
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg --add-location=file --sort-by-file --no-wrap \
		--project=Dreamfeed -c "Translators:" -o server/locale/messages.pot server
	$(BIN)/pybabel update -i server/locale/messages.pot -d server/locale -D messages \
		--no-wrap --ignore-obsolete --no-fuzzy-matching

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

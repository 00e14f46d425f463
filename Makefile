PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUNTIME := $(VENV)/.runtime
STAMP := $(VENV)/.installed

.PHONY: run test bench lint lock services clean

# What running needs (`make run`), at the exact versions of requirements.lock (hashes checked);
# the test and lint tools come on top from requirements-dev.lock, for `make test`. Caseflow
# itself is installed without resolving anything (`--no-deps`). `make lock` updates the locks.
$(RUNTIME): pyproject.toml requirements.lock
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(RUNTIME)

$(STAMP): $(RUNTIME) requirements-dev.lock
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.lock
	touch $(STAMP)

run: $(RUNTIME)
	CASEFLOW_DEV=1 $(BIN)/caseflow serve --demo-if-empty

test: $(STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m bench

# ruff's checks, and mypy as configured in pyproject.toml (strict on domain/, services/ and
# projections/, default settings elsewhere). CI runs this before the tests (.ci/run).
lint: $(STAMP)
	$(BIN)/ruff check caseflow tests bench
	$(BIN)/ruff format --check caseflow tests bench
	$(BIN)/mypy

# Re-resolve both lock files from pyproject.toml (newest versions its bounds allow; pass
# LOCK_ARGS=--upgrade-package=NAME to move one package only), then `make test` before committing.
PIP_COMPILE = $(BIN)/pip-compile --quiet --strip-extras --generate-hashes --allow-unsafe \
	--no-emit-index-url --no-emit-find-links $(LOCK_ARGS)
lock: $(STAMP)
	$(PIP_COMPILE) --output-file requirements.lock pyproject.toml
	$(PIP_COMPILE) --extra dev --output-file requirements-dev.lock pyproject.toml

services:
	bash scripts/services.sh start

clean:
	rm -rf $(VENV) var .pytest_cache

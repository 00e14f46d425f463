PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUNTIME := $(VENV)/.runtime
STAMP := $(VENV)/.installed

.PHONY: run test bench lint services clean

# What running needs (`make run`); the test and lint tools come on top, for `make test`.
$(RUNTIME): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $(RUNTIME)

$(STAMP): $(RUNTIME)
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(RUNTIME)
	CASEFLOW_DEV=1 $(BIN)/caseflow serve --demo-if-empty

test: $(STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m bench

lint: $(STAMP)
	$(BIN)/ruff check caseflow tests bench

services:
	bash scripts/services.sh start

clean:
	rm -rf $(VENV) var .pytest_cache

# Two entry points for a fresh machine (Python 3.11+, Java 17+):
#   make run    set up .venv, then run the whole pipeline on embedded defaults
#   make test   set up .venv, then run the test suite (make test-fast: the pure-logic tests)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup run test test-fast lint docs clean

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/retail run

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/pytest

# the inner loop: pure-logic tests only (under a minute); `make test` runs everything
test-fast: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/pytest -m "not slow"

docs: $(STAMP)
	$(BIN)/retail docs

clean:
	rm -rf target logs warehouse data exports .dagster_home

# dosewatch — every target creates/uses the local virtualenv, so a fresh clone needs nothing else.
PY      ?= python3
VENV    ?= .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed-stamp
DEMO_DIR ?= var/demo

.PHONY: venv demo test lint bench clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

## demo: ingest the bundled samples + a generated region into SQLite, then serve (SERVE=0: stop after the ingest)
demo: $(STAMP)
	$(BIN)/python -m dosewatch.demo --data-dir $(DEMO_DIR) $(if $(filter 0,$(SERVE)),--no-serve,)

## test: the whole test suite (SQLite always; PostgreSQL when reachable, required under CI)
test: $(STAMP)
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy dosewatch rdsr_parsers organ_models api tests bench
	$(BIN)/lint-imports

## bench: benchmarks; figures (ratios against baselines of the same run) go to BENCHMARKS.md
bench: $(STAMP)
	$(BIN)/python -m bench.run --write BENCHMARKS.md

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache .hypothesis

# dosewatch — every target creates/uses the local virtualenv, so a fresh clone needs nothing else.
PY      ?= python3
VENV    ?= .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed-stamp
DEMO_DIR ?= var/demo

.PHONY: venv demo test lint bench clean mutation

$(STAMP): pyproject.toml setup.py rdsr_parsers/reader/_fastlex.c
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

## mutation: mutmut on the dose-critical modules (config: [tool.mutmut] in pyproject.toml);
## one module: make mutation MODULES=organ_models/ct.py (several: space-separated). Slow:
## not part of `make test` nor CI. Scores: docs/MUTATION.md (bench.mutation_score prints them).
MUTATION_STAMP := $(VENV)/.mutation-stamp
MUTANT_GLOBS = $(foreach m,$(MODULES),'$(subst /,.,$(m:.py=)).*')
$(MUTATION_STAMP): $(STAMP)
	$(BIN)/python -m pip install -q -e '.[dev,mutation]'
	touch $(MUTATION_STAMP)

mutation: $(MUTATION_STAMP)
	PATH=$(abspath $(BIN)):$$PATH $(BIN)/mutmut run --max-children $(or $(JOBS),2) $(MUTANT_GLOBS)
	$(BIN)/python -m bench.mutation_score $(MODULES)

clean:
	rm -rf mutants
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache .hypothesis

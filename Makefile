# rea — every step of the pipeline is a target; each creates or reuses the virtual environment.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
REVIEW ?= searches/pcn-rea
REA := $(BIN)/rea
STAMP := $(VENV)/.installed

.PHONY: help install test demo queries search dedup screen serve prisma report lint bench clean

help:
	@echo "make demo     run the whole pipeline offline on the bundled sample"
	@echo "make test     run the test suite"
	@echo "make queries  render every stage x database of $(REVIEW) into $(REVIEW)/queries/"
	@echo "make search   rerun every search of $(REVIEW) as a new run (needs network and keys)"
	@echo "make dedup    group the review's records into works"
	@echo "make screen   open the screening CLI (REVIEWER=JS PHASE=title_abstract)"
	@echo "make serve    screen in the browser (HOST=127.0.0.1 PORT=8765; rea serve invite NAME)"
	@echo "make prisma   print the PRISMA 2020 numbers"
	@echo "make report   rebuild the HTML report"
	@echo "make lint     ruff and mypy"
	@echo "make bench    run the benchmarks under bench/ (they read ../shared/data when present)"
	@echo "make clean    remove the virtual environment and build output"

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest -q

demo: $(STAMP)
	$(REA) demo

queries: $(STAMP)
	$(REA) query render --review $(REVIEW) --all --out $(REVIEW)/queries

search: $(STAMP)
	$(REA) search --review $(REVIEW)

dedup: $(STAMP)
	$(REA) dedup --review $(REVIEW)

REVIEWER ?=
PHASE ?= title_abstract
screen: $(STAMP)
	@test -n "$(REVIEWER)" || { echo "Error: set REVIEWER, e.g. make screen REVIEWER=JS"; exit 2; }
	$(REA) screen --review $(REVIEW) --phase $(PHASE) --reviewer $(REVIEWER)

HOST ?= 127.0.0.1
PORT ?= 8765
serve: $(STAMP)
	$(REA) serve --review $(REVIEW) --host $(HOST) --port $(PORT)

prisma: $(STAMP)
	$(REA) prisma --review $(REVIEW)

report: $(STAMP)
	$(REA) report --review $(REVIEW)

lint: $(STAMP)
	$(BIN)/ruff check rea tests bench
	$(BIN)/ruff format --check rea tests bench
	$(BIN)/mypy

bench: $(STAMP)
	@for b in bench/*/run.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache demo

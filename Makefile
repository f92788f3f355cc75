# The two commands (see README):
#   make build   set everything up and build the whole DAG into media_impact.duckdb
#   make test    every test: pytest (package, dbt build + data tests, bad input,
#                parity, PostgreSQL run, dashboard) — what .ci/run calls
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
export DBT_PROFILES_DIR := $(CURDIR)/profiles
export MEDIA_IMPACT_DB ?= $(CURDIR)/media_impact.duckdb

.PHONY: setup build test bench lint docs dashboard peers clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

setup: $(VENV)/.installed

build: setup
	$(BIN)/python -m media_impact.pipeline build

test: setup
	$(BIN)/python -m pytest

bench: setup
	$(BIN)/python -m media_impact.pipeline.bench --scales 1 10 100 --repeats 3

lint: setup
	scripts/lint.sh

docs: setup
	$(BIN)/dbt docs generate

dashboard: setup
	$(BIN)/streamlit run dashboard/app.py

# optional: .venv-peers with PyMC-Marketing for the MMM benchmark's peer (never in CI)
peers:
	PYTHON=$(PYTHON) scripts/peers_venv.sh

clean:
	rm -rf target logs media_impact.duckdb* data bench_out screenshots

# Jixiao: the two commands are `make demo` and `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
JIXIAO := $(VENV)/bin/jixiao
HOST ?= 127.0.0.1
PORT ?= 8000
SEED ?= 2026
PEOPLE ?= 260
RESET ?=
# PostgreSQL used by the second test run; each run creates and drops its own database.
JIXIAO_TEST_PG ?= postgres://postgres@127.0.0.1:5432/postgres
export JIXIAO_TEST_PG

.PHONY: setup demo test lint typecheck contracts test-sqlite test-postgres test-browser bench clean

setup:
	@bash scripts/setup.sh

demo: setup
	@JIXIAO_DEMO=1 $(PY) manage.py migrate --noinput -v 0
	@$(JIXIAO) demo --seed $(SEED) --people $(PEOPLE) $(if $(RESET),--reset,--if-empty)
	@bash scripts/serve_demo.sh $(HOST) $(PORT)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: setup
	$(VENV)/bin/mypy .

contracts: setup
	$(VENV)/bin/lint-imports

test-sqlite: setup
	$(VENV)/bin/pytest -q -m "not browser" -p no:playwright --ignore=tests/browser

test-postgres: setup
	@bash scripts/test_postgres.sh

test-browser: setup
	@bash scripts/test_browser.sh

test: lint typecheck contracts test-sqlite test-postgres test-browser

bench: setup
	$(JIXIAO) bench org

clean:
	rm -rf $(VENV) node_modules jixiao/static/vendor var

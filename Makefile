# Tianping — the two README commands and their friends.
#   make demo   install everything, migrate, load the demo dataset, serve on http://127.0.0.1:8000
#   make test   install everything and run the whole test suite
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
VENDOR := src/tianping/web/static/vendor
PYTEST_ARGS ?=

.PHONY: demo test install assets lint typecheck bench docs serve clean

install: $(VENV)/.installed assets

$(VENV)/.installed: pyproject.toml
	@bash scripts/ensure-prereqs.sh
	python3 -m venv $(VENV)
	$(BIN)/pip install -q -U pip
	$(BIN)/pip install -q -e '.[dev]'
	@touch $@

assets: $(VENDOR)/.installed

$(VENDOR)/.installed: frontend/package.json frontend/package-lock.json
	@bash scripts/ensure-prereqs.sh
	npm ci --prefix frontend --no-audit --no-fund --loglevel=error
	mkdir -p $(VENDOR)
	cp frontend/node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/htmx.min.js
	cp frontend/node_modules/echarts/dist/echarts.min.js $(VENDOR)/echarts.min.js
	@touch $@

demo: install
	$(BIN)/tianping db upgrade
	$(BIN)/tianping demo load --skip-if-present
	$(BIN)/tianping serve --host $(HOST) --port $(PORT)

serve: install
	$(BIN)/tianping serve --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy

test: install
	$(BIN)/ruff check src tests bench
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

bench: install
	$(PY) bench/bench_registry.py
	$(PY) bench/bench_promotion.py
	$(PY) bench/bench_evidence_merkle.py
	$(PY) bench/bench_evidence_log.py
	$(PY) bench/bench_complaints_classifier.py
	$(PY) bench/bench_complaints_intake.py
	$(PY) bench/bench_complaints_dashboard.py
	$(PY) bench/bench_demo_complaints.py

docs: install
	$(BIN)/tianping docs cli --out docs/cli.md

clean:
	rm -rf $(VENV) $(VENDOR) frontend/node_modules var .pytest_cache .mypy_cache .ruff_cache

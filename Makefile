# Spendlens tasks. `make run` and `make test` each do all their own set-up on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8501
INSTALLED := $(VENV)/.installed-runtime
DEV_INSTALLED := $(VENV)/.installed-dev

.PHONY: run test lint format seed bench clean worker

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(INSTALLED): requirements.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(DEV_INSTALLED): requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(INSTALLED) $@

## run: install, seed demo data on the first run (or after an interrupted seed; embedded store in
## development only, never production or MongoDB), serve on :$(PORT)
run: $(INSTALLED)
	$(PY) -m dashboard seed --if-empty
	$(PY) -m streamlit run app.py --server.port $(PORT)

## test: lint, then the whole test suite
test: $(DEV_INSTALLED) lint
	$(PY) -m pytest

## lint: ruff lint and format check
lint: $(DEV_INSTALLED)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(DEV_INSTALLED)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## seed: (re)write the demo data set into the configured store (refused in production)
seed: $(INSTALLED)
	$(PY) -m dashboard seed --reset

## bench: performance measurements (figures go to docs/performance.md)
bench: $(DEV_INSTALLED)
	$(PY) bench/engine.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

## worker: run background jobs in their own process (MongoDB deployments; with the embedded
## engine `make run` runs them inside the app)
worker: $(INSTALLED)
	$(PY) -m dashboard worker

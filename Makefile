# `make run` brings the portal up with demo data; `make test` runs every check.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
PYTHON ?= python3

.PHONY: install run test lint clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: install
	$(VENV)/bin/portal dev

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy portal workflows activities

# The suite runs on SQLite, then again on PostgreSQL when PORTAL_TEST_DATABASE_URL names one.
test: lint
	env -u PORTAL_TEST_DATABASE_URL $(VENV)/bin/pytest
	if [ -n "$$PORTAL_TEST_DATABASE_URL" ]; then $(VENV)/bin/pytest; fi

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache

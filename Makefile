# `make run` brings the portal up with demo data; `make test` runs every check.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
PYTHON ?= python3

.PHONY: install run test lint clean translations bench browser screenshots

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	$(VENV)/bin/pybabel compile -d portal/translations
	touch $(STAMP)

run: install
	$(VENV)/bin/portal dev

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy portal workflows activities

# Browser tests drive Debian's Chromium (never a downloaded browser) and inject axe-core.
browser: node_modules/.package-lock.json
	test -x /usr/bin/chromium || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

# axe-core, pinned in package-lock.json, from the npm registry; again whenever the lock changes.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

# The suite runs on SQLite, then again on PostgreSQL when PORTAL_TEST_DATABASE_URL names one.
test: lint browser
	env -u PORTAL_TEST_DATABASE_URL $(VENV)/bin/pytest
	if [ -n "$$PORTAL_TEST_DATABASE_URL" ]; then $(VENV)/bin/pytest; fi

# Extract every message to translate, then merge them into each language's catalogue: new ones
# come out empty (or fuzzy, a guess) for a translator to fill in. `make install` compiles them.
POT := portal/translations/messages.pot
translations: install
	$(VENV)/bin/pybabel extract -F babel.cfg --no-default-keywords \
		-k _ -k _l -k gettext -k lazy_gettext -k ngettext:1,2 -k N_ \
		-c TRANSLATORS: --add-location=file --project="Corporate Billing Portal" -o $(POT) .
	$(VENV)/bin/pybabel update -i $(POT) -d portal/translations --ignore-obsolete
	$(VENV)/bin/pybabel compile -d portal/translations

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache

# Figures for the README: each prints a table and writes bench/results/<name>.json.
bench: install
	$(PY) -m bench.lifecycle
	$(PY) -m bench.pages

# Refreshes docs/screenshots/*.png, the pictures the README shows.
screenshots: install browser
	$(VENV)/bin/pytest -q tests/test_browser.py

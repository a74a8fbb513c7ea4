# `make run` brings the portal up with demo data; `make test` runs every check.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
PYTHON ?= python3
LOCK := requirements.lock
UV_VERSION := 0.13.9

.PHONY: install fonts lock run test lint clean translations bench browser screenshots record-histories

install: $(STAMP) fonts

# The PDFs are set in Debian's fonts (portal/documents/fonts.py): DejaVu Sans for every text,
# Droid Sans Fallback for Chinese, Japanese and Korean. System packages, never a downloaded font.
fonts:
	test -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf -a -f /usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf -a -f /usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-dejavu-core fonts-droid-fallback)

# Every Python package at the exact version and hash of the lock; the project itself on top.
$(STAMP): pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes --no-deps -r $(LOCK)
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	$(PY) -m pip check
	$(VENV)/bin/pybabel compile -d portal/translations
	touch $(STAMP)

# Refreshes the lock after a change to pyproject.toml's dependencies (or to take new releases):
# every package of every platform, with hashes, resolved by uv.
lock:
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet 'uv==$(UV_VERSION)'
	$(VENV)/bin/uv pip compile --quiet --universal --generate-hashes --extra dev \
		--python-version 3.11 --upgrade pyproject.toml -o $(LOCK)

run: install
	$(VENV)/bin/portal dev

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy portal workflows activities

# Browser tests drive Debian's Chromium (never a downloaded browser) and inject axe-core.
browser: node_modules/.package-lock.json
	test -x /usr/bin/chromium || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

# axe-core, pinned in package-lock.json, from the npm registry; again whenever the lock changes.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

# The suite runs at a fixed business date on SQLite, then again on PostgreSQL when
# PORTAL_TEST_DATABASE_URL names one; the date-sensitive tests (marked `dates`) run once more at
# each of TEST_DATES: month ends, a leap day, the end of a year.
TEST_DATES := 2027-01-31 2027-06-30 2027-12-31 2028-02-29
test: lint browser
	env -u PORTAL_TEST_DATABASE_URL $(VENV)/bin/pytest
	for day in $(TEST_DATES); do \
		env -u PORTAL_TEST_DATABASE_URL $(VENV)/bin/pytest -q -m dates --today=$$day || exit 1; \
	done
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
	$(PY) -m bench.memory

# Records tests/replay/*.json again from real runs (after adding a workflow path; see tests/replay/README.md).
record-histories: install
	$(PY) -m tests.replay.record

# Refreshes docs/screenshots/*.png, the pictures the README shows.
screenshots: install browser
	PORTAL_SCREENSHOTS=1 $(VENV)/bin/pytest -q tests/browser

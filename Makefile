# IOM Serbia Project Catalogue: everyday commands. `make help` lists them.
#
#   make run    install, migrate, load the catalogue and serve it on http://127.0.0.1:8000
#   make test   the whole test suite (on SQLite, or on PostgreSQL when DATABASE_URL is set)
#   make test-fast   all but the system and browser tests: no Java, Chromium, Redis or PostgreSQL needed

SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
VPY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

# The first Python 3.12+ found: on PATH, then in pyenv's versions. Shims that fail to run are skipped.
PYTHON ?= $(shell for p in python3.13 python3.12 python3 $(wildcard $(HOME)/.pyenv/versions/3.1[2-9]*/bin/python3) /usr/local/bin/python3.1[2-9] /usr/bin/python3.1[2-9]; do \
	if command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then command -v $$p; break; fi; done)

.PHONY: help run dev test test-fast lint check chromium screenshots install install-dev migrate static catalogue clean bench loadtest drill-db-restart drill-slow-clients drill-reload-under-edits messages

help:
	@echo "make run          install, migrate, load the catalogue, serve on http://$(HOST):$(PORT) (gunicorn, DEBUG off)"
	@echo "make dev          the same with Django's auto-reloading development server and DEBUG on"
	@echo "make test         the whole test suite (set DATABASE_URL to run it on PostgreSQL)"
	@echo "make test-fast    the suite without the system and browser tests (no Java, Chromium, Redis, PostgreSQL)"
	@echo "make lint         ruff check and ruff format --check (settings in pyproject.toml)"
	@echo "make screenshots  full-page screenshots of the portal at desktop and phone widths into docs/screenshots/"
	@echo "make catalogue    reload the catalogue from fixtures/ (python manage.py reload_catalogue)"
	@echo "make messages     collect the interface's strings into locale/sr_Latn/.../django.po, derive locale/sr (Cyrillic), compile both (needs GNU gettext)"
	@echo "make bench        requests/s and latency per kind of URL under gunicorn, cached and uncached (BENCH_DB=sqlite|postgres|both; PROJECTS=100000)"
	@echo "make loadtest     50 clients for 60 s on PostgreSQL while the catalogue is reloaded in a loop"
	@echo "make drill-db-restart   stop and restart a private PostgreSQL under the portal: 503s, then 200s"
	@echo "make drill-slow-clients 50 slow-header clients for 30 s against nginx + gunicorn: /healthz must keep answering"
	@echo "make drill-reload-under-edits   two editors save in the admin while the catalogue reloads in a loop (BENCH_DB, DURATION)"
	@echo "make clean        remove the virtual environment, the SQLite database and collected static files"

$(VPY):
	@if [ -z "$(PYTHON)" ]; then \
		echo "No Python 3.12 or newer found. Install one (e.g. 'apt-get install python3.12 python3.12-venv'" >&2; \
		echo "or 'pyenv install 3.12'), or name it: make run PYTHON=/path/to/python3.12" >&2; exit 1; fi
	@echo "Creating $(VENV) with $(PYTHON) ($$($(PYTHON) --version))"
	$(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install --quiet --upgrade pip

# Stamp files: reinstall only when a requirements file changes.
$(VENV)/.installed: requirements.txt | $(VPY)
	$(VPY) -m pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(VPY)
	$(VPY) -m pip install --quiet -r requirements-dev.txt
	@touch $@ $(VENV)/.installed

# The Nu HTML Checker for the HTML tests (from npm; runs offline on Java). Nothing from npm is served.
node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { echo "The tests need npm (Node.js) for the HTML checker: apt-get install npm" >&2; exit 1; }
	@command -v java >/dev/null || { echo "The tests need Java for the HTML checker: apt-get install default-jre-headless" >&2; exit 1; }
	npm ci --silent --no-audit --no-fund
	@touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev node_modules/.installed

# A local secret key for `make run`, made once and never committed (.gitignore).
.secret_key:
	@$(VPY) -c "import secrets; print(secrets.token_urlsafe(50))" > $@
	@chmod 600 $@

# Local serving is plain HTTP on loopback: no HTTPS redirect, no HSTS, and cookies that work
# without HTTPS. Production keeps the secure defaults (README.md, "Production settings").
LOCAL_ENV = SECRET_KEY="$${SECRET_KEY:-$$(cat .secret_key)}" SECURE_SSL_REDIRECT=0 SECURE_HSTS_SECONDS=0 \
	SESSION_COOKIE_SECURE=0 CSRF_COOKIE_SECURE=0

migrate: install .secret_key
	$(LOCAL_ENV) $(VPY) manage.py migrate --noinput

static: install .secret_key
	$(LOCAL_ENV) $(VPY) manage.py collectstatic --noinput --verbosity 0

catalogue: migrate
	$(LOCAL_ENV) $(VPY) manage.py reload_catalogue

run: catalogue static
	@echo "Serving the catalogue on http://$(HOST):$(PORT)/ (staff: http://$(HOST):$(PORT)/admin/). Stop with Ctrl-C."
	$(LOCAL_ENV) $(VENV)/bin/gunicorn portal.wsgi --bind $(HOST):$(PORT) --workers 3 --worker-class gthread --threads 4 \
		--timeout 30 --access-logfile -

dev: catalogue static
	DEBUG=1 $(VPY) manage.py runserver $(HOST):$(PORT)

# Translations: collect every string of the templates and the Python code into the Serbian (Latin) catalogue
# (new ones arrive empty, changed ones fuzzy: translate them), derive the Cyrillic catalogue from it
# (portal/serbian.py: translators edit only the Latin file), then compile both .mo files. Commit all four,
# so nothing at run time or in CI needs GNU gettext (apt-get install gettext).
MESSAGES_IGNORE = --ignore=.venv --ignore=node_modules --ignore=staticfiles --ignore=bench --ignore=docs
messages: $(VENV)/.installed-dev
	@command -v msgfmt >/dev/null || { echo "make messages needs GNU gettext: apt-get install gettext" >&2; exit 1; }
	DEBUG=1 $(VPY) manage.py makemessages --locale sr_Latn --no-obsolete $(MESSAGES_IGNORE)
	$(VPY) -m portal.serbian locale/sr_Latn/LC_MESSAGES/django.po locale/sr/LC_MESSAGES/django.po
	DEBUG=1 $(VPY) manage.py compilemessages --locale sr_Latn --locale sr $(MESSAGES_IGNORE)

# Neither check nor lint needs the HTML checker (npm, Java): the Python tools are enough.
check: $(VENV)/.installed-dev
	DEBUG=1 $(VPY) manage.py check
	DEBUG=1 $(VPY) manage.py makemigrations --check --dry-run

# The browser tests (projects/tests/browser/) drive Debian's Chromium; Playwright cannot download its own here.
CHROMIUM := /usr/bin/chromium
# Debian's Chromium for the browser tests (Playwright cannot download its own browser here): installed
# when missing and we may (as root, with apt-get), else a message that says how.
chromium:
	@test -x $(CHROMIUM) || [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null || { \
		echo "Installing Chromium for the browser tests: apt-get install -y chromium"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }
	@test -x $(CHROMIUM) || { echo "The browser tests and screenshots need Chromium at $(CHROMIUM): apt-get install -y chromium" >&2; exit 1; }

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: install-dev lint check chromium
	$(VENV)/bin/pytest

# The quick tier: every test but those marked system (gunicorn, PostgreSQL drills, the Nu checker on Java,
# Redis) or browser (Chromium), so it needs only the Python packages; on SQLite, no PostgreSQL either.
test-fast: $(VENV)/.installed-dev lint check
	$(VENV)/bin/pytest -m "not system and not browser"

# Benchmarks and drills (bench/, README "Benchmarks, load test and restart drill"). They install wrk
# when it is missing. A variable left unset keeps the script's own default (bench: 10 s per URL and
# 10 connections; loadtest: 60 s and 50 connections; both: 2 wrk threads, 2 x cores + 1 gunicorn workers).
BENCH_DB ?= both
LOAD_OPTIONS = $(if $(DURATION),--duration $(DURATION)) $(if $(CONNECTIONS),--connections $(CONNECTIONS)) \
	$(if $(THREADS),--threads $(THREADS)) $(if $(WORKERS),--workers $(WORKERS))

# PROJECTS=100000 also seeds that many synthetic projects on PostgreSQL and compares their p95 with the seven
# real projects' (BIG_DATABASE=name reuses a database already seeded); PORT_BENCH picks gunicorn's port;
# REDIS=redis://host:6379/n puts the cached run's pages in Redis, shared by the workers.
# Then the bulk operations (bench/bench_operations.py): exports, the sitemap and reload_catalogue. The reload of a
# large fixture against Django's loaddata of it takes minutes: only with FIXTURE_PROJECTS=10000 (or any size).
bench: install
	$(VPY) bench/bench.py --db $(BENCH_DB) $(LOAD_OPTIONS) $(if $(PROJECTS),--projects $(PROJECTS)) \
		$(if $(BIG_DATABASE),--big-database $(BIG_DATABASE)) $(if $(PORT_BENCH),--port $(PORT_BENCH)) \
		$(if $(REDIS),--redis-url $(REDIS))
	$(VPY) bench/bench_operations.py $(if $(PROJECTS),--projects $(PROJECTS)) \
		$(if $(FIXTURE_PROJECTS),--fixture-projects $(FIXTURE_PROJECTS),--skip-fixture-load)

loadtest: install
	$(VPY) bench/loadtest.py $(LOAD_OPTIONS)

drill-db-restart: install
	$(VPY) bench/drill_db_restart.py $(if $(OUTAGE),--outage $(OUTAGE)) $(if $(WORKERS),--workers $(WORKERS))

# nginx (deploy/nginx.conf) in front of gunicorn on free loopback ports, a throwaway SQLite database.
# DURATION, CONNECTIONS and WORKERS as above; QUICK=1 for 6 s; DIRECT=1 leaves nginx out (the shape of `make run`).
drill-slow-clients: install
	$(VPY) bench/drill_slow_clients.py $(if $(DURATION),--duration $(DURATION)) $(if $(CONNECTIONS),--connections $(CONNECTIONS)) \
		$(if $(WORKERS),--workers $(WORKERS)) $(if $(QUICK),--quick) $(if $(DIRECT),--direct)

drill-reload-under-edits: install
	$(VPY) bench/drill_reload_under_edits.py --db $(BENCH_DB) $(if $(DURATION),--duration $(DURATION)) $(if $(WORKERS),--workers $(WORKERS))

# Served by gunicorn on a free loopback port with the local settings of `make run`.
screenshots: catalogue static $(VENV)/.installed-dev chromium
	$(LOCAL_ENV) PYTHONPATH=. $(VPY) docs/take_screenshots.py

clean:
	rm -rf $(VENV) staticfiles db.sqlite3 .pytest_cache node_modules

# Inquiry: the two commands a newcomer needs are `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000

.PHONY: demo test install browser node_modules lint bench clean-demo

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

## demo: set up the SQLite database with the registry and the 2008 case, then serve the admin
demo: install
	$(PY) manage.py migrate --no-input
	$(PY) manage.py load_demo
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

## browser: Debian's Chromium and CJK fonts for the browser tests (needs root or sudo)
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium fonts-noto-cjk; }

## node_modules: axe-core for the accessibility tests, as pinned in package-lock.json
## (installed again only when missing or when the lock file changed; npm from Debian
## if there is none, which needs root or sudo)
node_modules:
	@if [ ! -f node_modules/axe-core/axe.min.js ] || \
	    [ package-lock.json -nt node_modules/.package-lock.json ]; then \
	  command -v npm >/dev/null 2>&1 || { \
	    SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	    $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq npm; }; \
	  npm ci --no-audit --no-fund; \
	fi

## test: the whole suite (SQLite unless DATABASE_URL says otherwise)
test: install browser node_modules
	$(VENV)/bin/pytest -n 2 -q

lint: install
	$(VENV)/bin/ruff check .

## bench: the benchmarks of tests/benchmarks (not part of `make test`), on PostgreSQL when
## DATABASE_URL says so or the local server answers, else on SQLite (portal load test skipped)
bench: install
	@if [ -z "$$DATABASE_URL" ] && pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then \
	  export DATABASE_URL=postgres://postgres@127.0.0.1:5432/test; fi; \
	echo "benchmarks on $${DATABASE_URL:-SQLite}"; \
	$(VENV)/bin/pytest tests/benchmarks -s -q -p no:randomly -p no:cacheprovider -o addopts=""

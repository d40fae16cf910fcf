# The two commands of the README: `make demo` and `make test`. Each makes its own venv.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PG_URL ?= postgres://postgres@127.0.0.1:5432/undersigned
REDIS_TEST_URL ?= redis://127.0.0.1:6379/15
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: install demo serve test test-sqlite test-postgres lint messages check-messages bench chaos clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# axe-core for the browser tests' accessibility checks, pinned by tests/browser/package-lock.json.
AXE := tests/browser/node_modules/axe-core/axe.min.js
$(AXE): tests/browser/package.json tests/browser/package-lock.json
	@if command -v npm >/dev/null; then \
		npm ci --no-audit --no-fund --prefix tests/browser && touch $@; \
	else \
		echo "npm is not installed: the browser tests' accessibility checks will not run"; \
	fi

install: $(BIN)/.installed $(AXE)

demo: install
	$(BIN)/undersigned demo

serve: install
	$(BIN)/undersigned serve

# SQLite with the database queue, then PostgreSQL with Redis (the production pair).
test: test-sqlite test-postgres

test-sqlite: install
	env -u DATABASE_URL -u REDIS_URL UNDERSIGNED_DATA_DIR=$(CURDIR)/var/test $(BIN)/pytest

test-postgres: install
	@if $(BIN)/python tests/services.py postgres redis; then \
		echo "== PostgreSQL + Redis =="; \
		DATABASE_URL=$(PG_URL) REDIS_URL=$(REDIS_TEST_URL) UNDERSIGNED_DATA_DIR=$(CURDIR)/var/test $(BIN)/pytest; \
	elif [ "$$CI" = "true" ]; then \
		echo "PostgreSQL or Redis is not running, and CI must run the PostgreSQL pass" >&2; exit 1; \
	else \
		echo "SKIPPED the PostgreSQL + Redis pass: start PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379 to run it"; \
	fi

# Update the catalogs from the code and templates, then check them as CI does.
messages: install
	cd undersigned && ../$(BIN)/django-admin makemessages --all --settings=undersigned.settings --ignore='tests/*'

check-messages:
	for po in undersigned/locale/*/LC_MESSAGES/django.po; do msgfmt --check -o "$${po%.po}.mo" "$$po" || exit 1; done

lint: install
	$(BIN)/ruff format --check undersigned tests bench
	$(BIN)/ruff check undersigned tests bench
	$(BIN)/mypy undersigned

# Every part (20-40 min). To remeasure only some parts and keep the others' figures:
#   make bench BENCH_ARGS="--only scaleout"     (parts: figures, growth, export, scaleout)
BENCH_ARGS ?=
bench: install
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# Crash (kill -9 under load), races and hostile input against real server processes; three
# to five minutes. See chaos/README.md.
CHAOS_ARGS ?=
chaos: install
	$(BIN)/python chaos/run.py $(CHAOS_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache tests/browser/node_modules test-artifacts

# Two commands for a fresh Debian machine with Python 3.11:
#   make run   — set up, load demo data (first time), serve at http://127.0.0.1:8000 (HOST, PORT)
#   make test  — set up, run the whole suite on SQLite (the task tests on the database queue
#                and, if Redis answers, on RQ too), then on PostgreSQL if it answers
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PG_URL ?= postgres://postgres@127.0.0.1:5432/test
REDIS ?= redis://127.0.0.1:6379
export VINCULO_DATA_DIR ?= $(CURDIR)/var
# Where `make run` serves (and the address the demo prints): HOST=0.0.0.0 PORT=9000 make run
HOST ?= 127.0.0.1
PORT ?= 8000
# The suite runs on every core (pytest-xdist): each worker has its own test database, ports
# and Redis database; a module's tests stay on one worker so its module fixtures (a replica
# cluster, a demo load, a server) start once. JOBS=1 runs it in one process. Each pass ends
# with its 15 slowest tests, to keep the suite within CI's budget.
JOBS ?= auto
# The run's migrated template is built from the start, beside the first tests (tests/databases.py).
PYTEST := VINCULO_TEST_EARLY_TEMPLATE=1 $(BIN)/python -m pytest -q -n $(JOBS) --dist loadscope --durations=15

.PHONY: run test setup setup-test system-packages bench-packages lint typecheck test-sqlite test-postgres bench clean messages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

setup: $(BIN)/python
	$(BIN)/pip install --quiet -e .

setup-test: $(BIN)/python system-packages
	$(BIN)/pip install --quiet -e '.[test]'

# Chromium drives the browser tests; gettext compiles the translations; dovecot (IMAP + LMTP)
# is the real mail server the inbound e-mail tests start privately (tests/imap.py).
system-packages:
	@command -v chromium >/dev/null && command -v msgfmt >/dev/null \
	  && test -x /usr/sbin/dovecot && test -x /usr/lib/dovecot/imap && test -x /usr/lib/dovecot/lmtp || { \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    chromium gettext dovecot-imapd dovecot-lmtpd >/dev/null; }

# What bench/scale.py needs beyond the test packages: Debian's load balancer, load generator
# and a Redis server of its own (the benches are not part of `make test`).
bench-packages: setup-test
	@command -v haproxy >/dev/null && command -v wrk >/dev/null && command -v redis-server >/dev/null || { \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    haproxy wrk redis-server >/dev/null; }

run: setup
	$(BIN)/vinculo migrate --verbosity 0
	@test -f $(VINCULO_DATA_DIR)/.demo-loaded || { \
	  $(BIN)/vinculo demo --customers 2000 --host $(HOST) --port $(PORT) && touch $(VINCULO_DATA_DIR)/.demo-loaded; }
	$(BIN)/vinculo serve --host $(HOST) --port $(PORT)

# ruff, then the import contracts of pyproject.toml [tool.importlinter] (layers, no app
# importing another's views/forms/api, pure modules without Django).
lint:
	$(BIN)/ruff check src tests bench
	$(BIN)/lint-imports

# mypy with the Django and DRF plugins on the files pyproject.toml [tool.mypy] lists.
typecheck:
	env -u DATABASE_URL $(BIN)/mypy

test: setup-test lint typecheck test-sqlite test-postgres

# The tests that use the task backend (marked `tasks`: they take the task_queue fixture) run
# once on the database queue and once on RQ, on a Redis database of this run's own
# (tests/redis_db.py), with the RQ worker (tests/task_queue.py); on the database queue alone
# when Redis does not answer, which is said.
test-sqlite:
	@if $(BIN)/python -c "import redis; redis.Redis.from_url('$(REDIS)/0', socket_connect_timeout=3).ping()" 2>/dev/null; then \
	  tasks=db,rq; else tasks=db; echo "Redis at $(REDIS) does not answer: task tests run on the database backend only"; fi; \
	env -u DATABASE_URL VINCULO_TEST_TASKS=$$tasks TEST_REDIS_URL=$(REDIS) $(PYTEST)

# The schema fuzzer (schemathesis) runs once, on SQLite: what it probes is the API's handling
# of input, which does not change with the database; the findings it pinned run on both.
FUZZ := tests/fuzz/test_api_schema.py

# Only the tests that reach a database run again here (tests/conftest.py): the rest ran on
# SQLite and no database changes their outcome (VINCULO_TEST_ALL=1 runs them too).
test-postgres:
	@if $(BIN)/python -c "import psycopg,sys; psycopg.connect('$(PG_URL)', connect_timeout=3).close()" 2>/dev/null; then \
	  echo "== PostgreSQL =="; DATABASE_URL=$(PG_URL) $(PYTEST) --ignore=$(FUZZ); \
	else echo "PostgreSQL at $(PG_URL) does not answer: suite ran on SQLite only"; fi

messages:
	cd src/vinculo && ../../$(BIN)/vinculo makemessages -l es --no-obsolete --no-location --ignore='static/*' --ignore='migrations/*' && ../../$(BIN)/vinculo compilemessages

clean:
	rm -rf $(VENV) var

# The two set-up commands of the README are `make demo` and `make test`.
# Both create their own virtualenv (.venv) and install the project into it.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DEMO_DB ?= .ledger/demo.db
LEARNERS ?= 2000
SEED ?= 1

.PHONY: demo test test-unit venv services lint bench clean stop-services messages

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $@

# The French catalogue: ledger.po is committed, ledger.mo compiled here (not committed).
MO := ledger/i18n/locale/fr/LC_MESSAGES/ledger.mo
$(MO): ledger/i18n/locale/fr/LC_MESSAGES/ledger.po $(VENV)/.installed
	$(VENV)/bin/pybabel -q compile -D ledger -d ledger/i18n/locale

venv: $(VENV)/.installed $(MO)

## make messages: extract the messages marked with _() and merge them into the French catalogue
messages: $(VENV)/.installed
	$(VENV)/bin/pybabel -q extract --no-location --sort-output -k _ -k N_ -k ngettext:1,2 -k because:1 \
	  -o ledger/i18n/locale/ledger.pot ledger projections consumers
	$(VENV)/bin/python -c "from ledger.cli.help import main; main()" ledger/i18n/locale/ledger.pot
	$(VENV)/bin/pybabel -q update -D ledger -d ledger/i18n/locale -i ledger/i18n/locale/ledger.pot -l fr --no-fuzzy-matching

## make demo: record a demo cohort into a SQLite file, say in one screen what to do with it,
## serve the API (DEMO_SERVE=0: do not serve). The API tokens go to $(DEMO_TOKENS) (0600).
DEMO_TOKENS ?= .ledger/demo-tokens.json
DEMO_URL ?= http://127.0.0.1:8080
demo: venv
	@# /docs, /redoc and the in-browser verifier of /verify serve assets built from deploy/node's
	@# pinned lockfile (about 10 s with npm; without npm those pages answer 503 saying so)
	@if command -v npm >/dev/null 2>&1; then bash deploy/node/ensure.sh >/dev/null; \
	  else echo "npm absent: /docs, /redoc and the in-browser check of /verify need bash deploy/node/ensure.sh" >&2; fi
	@rm -f $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm
	@$(VENV)/bin/ledger demo --db $(DEMO_DB) --learners $(LEARNERS) --seed $(SEED) --tokens $(DEMO_TOKENS) --url $(DEMO_URL)
	@if [ "$(DEMO_SERVE)" != "0" ]; then \
	  echo; LEDGER_PUBLIC_URL=$(DEMO_URL) $(VENV)/bin/ledger serve --db $(DEMO_DB) --host 127.0.0.1 --port 8080 || true; \
	fi

## make services: start PostgreSQL and Kafka for the tests (installs them when absent)
services: venv
	@mkdir -p .ledger
	@bash deploy/postgres/ensure.sh > .ledger/pg-url
	@PYTHON=$(PY) bash deploy/kafka/kafka.sh start > .ledger/kafka-bootstrap

## make test: the whole suite on SQLite, a real PostgreSQL server, a real Kafka broker and a
## real 3-broker Kafka cluster (started in the background while the other services start)
test: venv
	@mkdir -p .ledger/interop
	@rm -f .ledger/kafka-cluster
	@# the Go interop tools build in the background (minutes on a fresh machine, nothing when
	@# cached) while the services start; the interop tests wait for it (setup.sh takes a lock)
	@bash tests/interop/go/setup.sh > .ledger/interop/setup.log 2>&1 &
	@PYTHON=$(PY) bash deploy/kafka/kafka.sh cluster-start > .ledger/kafka-cluster.tmp 2> .ledger/kafka-cluster.log & \
	  cluster=$$!; \
	  bash deploy/postgres/ensure.sh > .ledger/pg-url && \
	  PYTHON=$(PY) bash deploy/kafka/kafka.sh start > .ledger/kafka-bootstrap && \
	  bash deploy/chromium/ensure.sh >&2 && \
	  if wait $$cluster; then mv .ledger/kafka-cluster.tmp .ledger/kafka-cluster; \
	  else echo "the Kafka cluster did not start (its tests will fail):" >&2; tail -n 30 .ledger/kafka-cluster.log >&2; \
	    touch .ledger/kafka-cluster; fi
	$(VENV)/bin/lint-imports
	$(VENV)/bin/ruff format --check ledger projections consumers tests
	@bash deploy/node/ensure.sh
	LEDGER_TEST_PG_URL=$$(cat .ledger/pg-url) LEDGER_TEST_KAFKA=$$(cat .ledger/kafka-bootstrap) \
	  LEDGER_TEST_KAFKA_CLUSTER=$$(cat .ledger/kafka-cluster) \
	  $(PY) -m pytest -p no:cacheprovider -q --durations=30

stop-services:
	-bash deploy/kafka/kafka.sh stop
	-bash deploy/kafka/kafka.sh cluster-stop

lint: venv
	$(VENV)/bin/ruff check ledger projections consumers tests
	$(VENV)/bin/ruff format --check ledger projections consumers tests
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

## make test-unit: the pure tests (domain, application, architecture) and the port contracts on
## the in-memory and SQLite adapters (no service needed); prints its duration
test-unit: venv
	@start=$$(date +%s%N); \
	env -u LEDGER_TEST_PG_URL -u LEDGER_TEST_KAFKA CI= $(PY) -m pytest -p no:cacheprovider -q \
	  tests/unit tests/contracts -k "not postgres"; rc=$$?; \
	echo "make test-unit: $$(( ($$(date +%s%N) - start) / 1000000 )) ms"; exit $$rc

bench: venv
	@mkdir -p .ledger
	@bash deploy/postgres/ensure.sh > .ledger/pg-url
	$(PY) -m tests.bench all --scale smoke --pg $$(cat .ledger/pg-url)

clean:
	rm -rf .ledger $(VENV) build *.egg-info

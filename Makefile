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
	$(VENV)/bin/pybabel -q extract --no-location --sort-output -k _ -k ngettext:1,2 \
	  -o ledger/i18n/locale/ledger.pot ledger projections consumers
	$(VENV)/bin/pybabel -q update -D ledger -d ledger/i18n/locale -i ledger/i18n/locale/ledger.pot -l fr --no-fuzzy-matching

## make demo: record a demo cohort into a SQLite file, show what the ledger holds, serve the API
demo: venv
	rm -f $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm
	$(VENV)/bin/ledger demo --db $(DEMO_DB) --learners $(LEARNERS) --seed $(SEED)
	@echo; echo "== a learner's dossier (ledger learner show) =="
	@learner=$$($(VENV)/bin/ledger certificate list --db $(DEMO_DB) --kind CQ --json | $(PY) -c 'import json,sys; print(json.load(sys.stdin)[0]["learner_id"])'); \
	  $(VENV)/bin/ledger learner show $$learner --db $(DEMO_DB)
	@echo; echo "== certificate decisions in the log (ledger events --type Certificate) =="
	@$(VENV)/bin/ledger events --db $(DEMO_DB) --type Certificate --limit 6
	@echo; echo "== read models caught up (ledger projections run --once) =="
	@$(VENV)/bin/ledger projections run --once --db $(DEMO_DB)
	@echo; echo "== integrity log: signed checkpoint (ledger audit checkpoint) =="
	@$(VENV)/bin/ledger keys generate --db $(DEMO_DB) > /dev/null
	@$(VENV)/bin/ledger audit checkpoint --db $(DEMO_DB)
	@$(VENV)/bin/ledger credential keys generate --db $(DEMO_DB) > /dev/null
	@echo; echo "== API tokens, one per role (keys in $${LEDGER_KEY_DIR:-.ledger/keys}) =="
	@$(VENV)/bin/ledger tokens demo --db $(DEMO_DB)
	@cert=$$($(VENV)/bin/ledger certificate list --db $(DEMO_DB) --kind CQ --json | $(PY) -c 'import json,sys; print(json.load(sys.stdin)[0]["certificate_id"])'); \
	  echo; echo "Verification page for one certificate: http://127.0.0.1:8080/verify?id=$$cert"
	@echo "The demo store is $(DEMO_DB); try: $(VENV)/bin/ledger --help"
	@if [ "$(DEMO_SERVE)" != "0" ]; then \
	  echo; echo "== the API on http://127.0.0.1:8080 — /docs, /verify (Ctrl-C stops it) =="; \
	  $(VENV)/bin/ledger serve --db $(DEMO_DB) --host 127.0.0.1 --port 8080 || true; \
	  echo "demo server stopped"; \
	fi

## make services: start PostgreSQL and Kafka for the tests (installs them when absent)
services: venv
	@mkdir -p .ledger
	@bash deploy/postgres/ensure.sh > .ledger/pg-url
	@PYTHON=$(PY) bash deploy/kafka/kafka.sh start > .ledger/kafka-bootstrap

## make test: the whole suite on SQLite, a real PostgreSQL server and a real Kafka broker
test: venv
	@mkdir -p .ledger
	@bash deploy/postgres/ensure.sh > .ledger/pg-url
	@PYTHON=$(PY) bash deploy/kafka/kafka.sh start > .ledger/kafka-bootstrap
	@bash deploy/chromium/ensure.sh >&2
	$(VENV)/bin/lint-imports
	$(VENV)/bin/ruff format --check ledger projections consumers tests
	LEDGER_TEST_PG_URL=$$(cat .ledger/pg-url) LEDGER_TEST_KAFKA=$$(cat .ledger/kafka-bootstrap) \
	  $(PY) -m pytest -p no:cacheprovider -q

stop-services:
	-bash deploy/kafka/kafka.sh stop

lint: venv
	$(VENV)/bin/ruff check ledger projections consumers tests
	$(VENV)/bin/ruff format --check ledger projections consumers tests
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

## make test-unit: the pure tests (domain, application on the in-memory store, architecture)
test-unit: venv
	$(PY) -m pytest -p no:cacheprovider -q tests/unit

bench: venv
	@mkdir -p .ledger
	@bash deploy/postgres/ensure.sh > .ledger/pg-url
	$(PY) -m tests.bench all --scale smoke --pg $$(cat .ledger/pg-url)

clean:
	rm -rf .ledger $(VENV) build *.egg-info

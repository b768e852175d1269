# cpaas-engine: the whole stack without Docker (Debian 12, as root).
#   make run    set everything up, then run PBX, carrier, PostgreSQL and engine (Ctrl-C stops)
#   make test   set up, lint, and run the whole suite on a real stack it starts itself

PYTHON_BOOT ?= python3
VENV        := .venv
PY          := $(VENV)/bin/python
STAMP       := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
EXTRAS      ?= dev,transcribe

.PHONY: setup system venv run up down status test unit lint bench bench-ledger bench-otp bench-plivo \
        bench-campaigns bench-multiparty clean

setup: system venv

system:
	bash scripts/setup-system.sh

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON_BOOT) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[$(EXTRAS)]'
	rm -f $(VENV)/.installed-* && touch $@

run: setup
	$(PY) -m engine.devstack run

up: setup
	$(PY) -m engine.devstack up

down:
	$(PY) -m engine.devstack down

status:
	$(PY) -m engine.devstack status

lint: venv
	$(VENV)/bin/ruff check engine tests benchmarks
	$(VENV)/bin/mypy engine tests benchmarks

unit: venv
	$(PY) -m pytest tests/unit -q

test: setup lint
	$(PY) -m pytest tests -q -p no:cacheprovider

bench: setup
	$(PY) -m benchmarks.click2call
	$(PY) -m benchmarks.ledger_truth
	$(PY) -m benchmarks.otp
	$(PY) -m benchmarks.plivo_call
	$(PY) -m benchmarks.campaigns
	$(PY) -m benchmarks.multiparty

bench-ledger: setup
	$(PY) -m benchmarks.ledger_truth

bench-otp: setup
	$(PY) -m benchmarks.otp

bench-plivo: setup
	$(PY) -m benchmarks.plivo_call

bench-campaigns: setup
	$(PY) -m benchmarks.campaigns

bench-multiparty: setup
	$(PY) -m benchmarks.multiparty

clean: down
	rm -rf var

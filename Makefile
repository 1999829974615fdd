# Nexus registry as code. `make demo` and `make test` set up everything they need on a fresh
# machine (venv, Pulumi CLI built from Go modules); see README.md.
SHELL := bash
.DEFAULT_GOAL := help
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STACK ?= local
PYTEST_ARGS ?=

export PATH := $(CURDIR)/$(VENV)/bin:$(CURDIR)/.tools/bin:$(PATH)
export PULUMI_SKIP_UPDATE_CHECK := true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION := true

.PHONY: help setup venv toolchain system-packages demo test preview up drift verify unmanaged adopt disk retention-run clean

help:
	@echo "make demo                  set up, then run the local stack against a fresh Nexus emulator (left running)"
	@echo "make emulator|emulator-stop  start | stop the local stack's emulator in the background (data in .demo/)"
	@echo "make test                  set up, then run the test suite (real Pulumi engine + emulator)"
	@echo "make preview|up|drift STACK=<stack>   the Pulumi workflow for one stack"
	@echo "make verify|unmanaged STACK=<stack>   check the docker path after up | list objects the stack does not declare"
	@echo "make adopt STACK=<stack> URL=<nexus>  write a stack that takes over an existing Nexus (password in NEXUS_PASSWORD)"
	@echo "make disk|retention-run STACK=<stack>  blob store usage and quotas | run the retention tasks now"
	@echo "make setup                 venv + Pulumi toolchain only"

setup: venv toolchain

venv: $(VENV)/.installed
$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

toolchain: venv
	bash scripts/toolchain.sh

# Debian packages the tests use (nginx for the reverse-proxy tests); needs root or sudo.
system-packages:
	bash scripts/system-packages.sh

demo: setup
	$(PY) -m nexusctl demo

# The local stack's emulator in the background, at its nexus.url: pid, log and data in .demo/.
.PHONY: emulator emulator-stop
emulator: venv
	$(PY) -m nexusctl emulator start

emulator-stop:
	$(PY) -m nexusctl emulator stop

test: setup
	$(PY) -m pytest -n auto $(PYTEST_ARGS)

preview: setup
	$(PY) -m nexusctl pulumi $(STACK) preview --diff

up: setup
	$(PY) -m nexusctl pulumi $(STACK) up --yes --diff

# Exit codes of drift, verify, unmanaged: 0 all good, 3 found something (drift, a broken check,
# unmanaged objects), 1 the check could not run. docs/ci.md has the details.
drift: setup
	$(PY) -m nexusctl drift $(STACK)

verify: setup
	$(PY) -m nexusctl verify $(STACK)

unmanaged: setup
	$(PY) -m nexusctl unmanaged $(STACK)

adopt: setup
	@test -n "$(URL)" || { echo "usage: make adopt STACK=<stack> URL=<nexus url>, password in NEXUS_PASSWORD"; exit 2; }
	$(PY) -m nexusctl adopt --url $(URL) --stack $(STACK)

# Blob store usage and soft quotas; exit 3 when a blob store is over its quota (for cron/CI).
disk: setup
	$(PY) -m nexusctl disk $(STACK)

# Run the retention chain once now: cleanup, docker GC, compact, each after the previous ends.
retention-run: setup
	$(PY) -m nexusctl retention run $(STACK)

clean:
	rm -rf .demo .work reports

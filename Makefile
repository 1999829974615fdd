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

.PHONY: help setup venv toolchain system-packages demo test preview up drift clean

help:
	@echo "make demo                  set up, then run the local stack against a fresh Nexus emulator"
	@echo "make test                  set up, then run the test suite (real Pulumi engine + emulator)"
	@echo "make preview|up|drift STACK=<stack>   the Pulumi workflow for one stack"
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

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

preview: setup
	$(PY) -m nexusctl pulumi $(STACK) preview --diff

up: setup
	$(PY) -m nexusctl pulumi $(STACK) up

drift: setup
	$(PY) -m nexusctl drift $(STACK)

clean:
	rm -rf .demo .work reports

# Nexus registry as code. `make demo` and `make test` set up everything they need on a fresh
# machine (venv, Pulumi CLI built from Go modules); see README.md.
SHELL := bash
.DEFAULT_GOAL := help
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STACK ?= local
ARGS ?=
PYTEST_ARGS ?=
MAKEFLAGS += --no-print-directory

export PATH := $(CURDIR)/$(VENV)/bin:$(CURDIR)/.tools/bin:$(PATH)
export PULUMI_SKIP_UPDATE_CHECK := true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION := true
# VERBOSE=1 (or 2, with masked bodies): an HTTP trace of every call to Nexus, from nexusctl and the
# providers of its pulumi runs (README, "Diagnostics"), for the commands (not for `make test`).
ifneq ($(VERBOSE),)
.work/status/$(STACK)/% demo adopt: export NEXUS_RAC_TRACE := $(VERBOSE)
endif

.PHONY: help setup venv toolchain package system-packages demo test preview up destroy drift verify unmanaged adopt disk retention-run clean FORCE

help:
	@echo "make demo                  set up, then run the local stack against a fresh Nexus emulator (left running)"
	@echo "make emulator|emulator-stop  start | stop the local stack's emulator in the background (data in .demo/)"
	@echo "make test                  set up, then run the test suite (real Pulumi engine + emulator)"
	@echo "make preview|up|drift STACK=<stack>   the Pulumi workflow for one stack (preview and up read the server first)"
	@echo "make destroy STACK=<stack>            delete what the stack manages; refused while it would delete data"
	@echo "make verify|unmanaged STACK=<stack>   check the docker path after up | list objects the stack does not declare"
	@echo "  ARGS='...' passes options on, e.g. ARGS='--format json' (JSON alone on stdout)"
	@echo "  VERBOSE=1 traces every HTTP call to Nexus (VERBOSE=2: with masked bodies)"
	@echo "make adopt STACK=<stack> URL=<nexus>  write a stack that takes over an existing Nexus (password in NEXUS_PASSWORD)"
	@echo "make disk|retention-run STACK=<stack>  blob store usage and quotas | run the retention tasks now"
	@echo "  drift, verify, unmanaged, disk, retention-run exit 0 all good, 3 found something, 1 could not check"
	@echo "make setup                 venv + Pulumi toolchain only"
	@echo "make package               the wheel of the package in dist/ (pip install it anywhere; README \"Use it as a package\")"

setup: venv toolchain

# Set-up output goes to stderr: stdout is for the commands' own output (`ARGS='--format json'`).
venv: $(VENV)/.installed
$(VENV)/.installed: requirements.txt
	@echo "make: creating $(VENV) from requirements.txt" >&2
	@$(PYTHON) -m venv $(VENV) >&2
	@$(PY) -m pip install --quiet -r requirements.txt >&2
	@touch $@

toolchain: venv
	@bash scripts/toolchain.sh >&2

# The wheel of nexus-registry (the library and nexusctl, pyproject.toml), for `pip install`.
package: venv
	$(PY) -m pip wheel --no-deps --quiet -w dist .
	@ls dist/nexus_registry-*.whl

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

# The project's commands, run through nexusctl; their exit code is make's (see below).
# preview, up and destroy read the server first (--refresh); up and destroy stop before any write
# when the plan deletes a hosted repository or a blob store (nexusctl/guard.py). The checks exit
# 0 all good, 3 found something (drift, a broken check, unmanaged objects, a blob store over
# quota, a failed task), 1 the check could not run; docs/ci.md has the details.
command.preview = pulumi $(STACK) preview --diff
command.up = pulumi $(STACK) up --yes --diff
command.destroy = pulumi $(STACK) destroy --yes
command.drift = drift $(STACK)
command.verify = verify $(STACK)
command.unmanaged = unmanaged $(STACK)
command.disk = disk $(STACK)
command.retention-run = retention run $(STACK)
COMMANDS := preview up destroy drift verify unmanaged disk retention-run

# Make itself exits 2 whenever a recipe fails, so a command runs in one recipe that keeps its
# code in .work/status/, and the next one hands that code on as make's own through
# $(exit-with CODE), a 30-line plugin (scripts/make_exit_code.c) built with cc on first use and
# loaded with make's `load`. Without a C compiler make warns, and a failure shows as make's 2.
EXIT_PLUGIN := .work/make/make_exit_code.so
-load $(EXIT_PLUGIN)
$(EXIT_PLUGIN): scripts/make_exit_code.c
	@mkdir -p $(@D)
	@$(CC) -shared -fPIC -O2 -o $@ $< || echo "make: cannot build $@ (no C compiler?): exit codes 3 and 1 will reach you as make's 2" >&2

# $(call exit-code,FILE): end make with the exit code FILE holds (not under make -n).
exit-code = $(if $(findstring n,$(firstword -$(MAKEFLAGS))),,$(if $(filter $(EXIT_PLUGIN),$(.LOADED)),$(exit-with $(or $(file < $1),1)),@exit $(or $(file < $1),1)))

$(COMMANDS): %: .work/status/$(STACK)/%
	$(call exit-code,$<)

.work/status/$(STACK)/%: setup FORCE
	@mkdir -p $(@D)
	@$(PY) -m nexusctl $(command.$*) $(ARGS); echo $$? > $@

FORCE:

adopt: setup
	@test -n "$(URL)" || { echo "usage: make adopt STACK=<stack> URL=<nexus url>, password in NEXUS_PASSWORD"; exit 2; }
	$(PY) -m nexusctl adopt --url $(URL) --stack $(STACK)

# The local emulator is stopped first: wiping .demo under a running one would leave it serving
# (and holding the stack's port) with a deleted data directory.
clean:
	@if [ -x $(PY) ]; then $(PY) -m nexusctl emulator stop || true; fi
	rm -rf .demo .work reports

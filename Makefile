# Set-up is two commands on a fresh clone: `make build` and `make test`. The first target run
# creates the virtual environment from requirements.lock (hash-checked, by tooling/bootstrap.py);
# later runs reuse it. `make help` lists the targets.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
SUPPORTED := 3.11, 3.12 or 3.13
# The ready stamp names the lock's checksum (POSIX cksum) and the interpreter's X.Y version, and is
# written only once the environment is complete: a changed lock, a half-made environment, or a
# PYTHON=... of another version (given on the command line or in the environment) makes it again.
# Without PYTHON, a complete environment for this lock is used whatever made it.
LOCK_SUM := $(firstword $(shell cksum requirements.lock))
version_of = $(shell $(1) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)
ifneq ($(filter command line environment,$(origin PYTHON)),)
READY := $(VENV)/.ready-$(LOCK_SUM)-python$(or $(call version_of,$(PYTHON)),-unknown)
else
PYTHON := python3
READY := $(or $(firstword $(wildcard $(VENV)/.ready-$(LOCK_SUM)-python*)),$(VENV)/.ready-$(LOCK_SUM)-python$(call version_of,$(PYTHON)))
endif
# A stamp is trusted only while the environment's interpreter still runs: a Python upgraded or
# removed under it (a CI cache restored on a newer runner, a deleted pyenv version) leaves
# .venv/bin/python dangling and the stamp in place; FORCE then makes the environment again.
VENV_BROKEN := $(if $(wildcard $(VENV)/.ready-*),$(if $(shell $(VENV)/bin/python -I -S -c '' 2>/dev/null && echo ok),,yes))
# Why $(PYTHON) cannot make the environment, in one line (empty when it can); only worked out when
# the environment has to be made.
PYTHON_PROBLEM = $(shell $(PYTHON) tooling/bootstrap.py --check $(PYTHON) 2>/dev/null || echo "$(PYTHON) does not run here; this project needs Python $(SUPPORTED): make build PYTHON=python3.12")
SOURCES := build.py $(shell find templates_src tooling -name '*.py' -not -path '*/__pycache__/*') \
	$(wildcard tooling/gates/rules/*.guard) $(wildcard tooling/gates/locks/*.lock)
BUILT := .build/built
# Python keeps the compiled project and test modules (in __pycache__, which git ignores) even where
# the shell sets PYTHONDONTWRITEBYTECODE, as CI images often do: without them every test process
# compiles the sources and pytest rewrites the asserts of every test module again (about 4 s of
# each process's start). `make clean` removes them.
export PYTHONDONTWRITEBYTECODE :=
# Stamp of the last `build.py docs`: the documents keep their time when nothing changed, so the
# stamp, not the documents, tells make whether the generated sections are older than the sources.
DOCS := README.md docs/OPERATIONS.md
DOCUMENTED := .build/documented

.PHONY: build test test-fast lint lint-py format bench docs clean distclean venv deploy publish help FORCE

# make's -t (touch), -q (question) and -i (ignore errors) defeat deploy and publish: -t marks the
# environment and the build done without making them and deploys nothing, -q runs nothing, -i goes
# on after a failed preflight. They are refused before any prerequisite is touched (the single-
# letter flags are the first word of MAKEFLAGS; -n is refused in the recipes, which it prints).
PRETENDING := $(strip $(foreach flag,t q i,$(findstring $(flag),$(firstword -$(MAKEFLAGS)))))
ifneq ($(and $(PRETENDING),$(filter deploy publish,$(MAKECMDGOALS))),)
$(error make $(filter deploy publish,$(MAKECMDGOALS)): make's own -$(PRETENDING) would skip or fake its steps; run it without -t, -q or -i (for a dry run use DRY_RUN=1))
endif

build: $(BUILT) $(DOCUMENTED)

venv: $(READY)

$(READY): requirements.lock $(if $(VENV_BROKEN),FORCE)
	$(if $(PYTHON_PROBLEM),$(error $(PYTHON_PROBLEM)))
	@$(PYTHON) tooling/bootstrap.py --venv $(VENV) --lock requirements.lock --stamp $@

# output/ is a prerequisite so that deleting a generated file (which changes the directory) builds
# again; the files themselves, so that an edited one is rebuilt.
$(BUILT): $(READY) $(SOURCES) output $(wildcard output/*.yaml)
	@$(PY) build.py build
	@mkdir -p $(@D) && touch $@

output: ;

FORCE: ;

$(DOCUMENTED): $(READY) $(SOURCES) $(DOCS)
	@$(PY) build.py docs
	@mkdir -p $(@D) && touch $@

docs: $(READY)
	@$(PY) build.py docs
	@mkdir -p $(dir $(DOCUMENTED)) && touch $(DOCUMENTED)

# The tests run in one process per core (pytest-xdist; TEST_WORKERS=1 runs them in this one).
# worksteal: an idle process takes tests queued for a busy one, so the long ones do not pile up.
TEST_WORKERS ?= auto
test_args = $(if $(filter 1,$(TEST_WORKERS)),-p no:xdist,-n $(TEST_WORKERS) --dist worksteal)

test: $(READY)
	@$(PY) -m pytest $(test_args)

# The tests that run no gate, whole command, AWS account on moto or pip; the modules that are slow as
# a whole are not even imported (tests/conftest.py).
test-fast: $(READY)
	@$(PY) -m pytest $(test_args) -m "not slow"

# Python style: `make format` rewrites (ruff format, then the fixable lint findings); `make lint-py`
# only checks (both configured in pyproject.toml).
format: $(READY)
	@$(VENV)/bin/ruff format .
	@$(VENV)/bin/ruff check --fix .

lint-py: $(READY)
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .

# make bench [RUNS=5]: median times of a cold, warm and no-op build and each gate's share.
RUNS ?= 3
bench: $(READY)
	@$(PY) tools/bench.py --runs $(RUNS)

# `make lint` checks every output/*.yaml; `make lint FILES="a.yaml b.yaml"` checks those files.
lint: $(READY)
	@$(PY) build.py lint $(FILES)

# make deploy ENV=development [TEMPLATE=name] [STACK=name] [DRY_RUN=1] [SKIP_PREFLIGHT=1]
# [DEPLOY_ARGS="..."]: build, check the account against the parameters (build.py preflight), then
# deploy output/$(TEMPLATE).yaml (a product: timestream-influxdb by default) with params/$(ENV).json
# (see README, "Deploy with CloudFormation").
# DRY_RUN=1 passes --dry-run to build.py (make's own `make --dry-run` only prints these commands).
STACK ?= ons-influxdb-$(ENV)
TEMPLATE ?= timestream-influxdb
PRODUCT_TEMPLATES = $(basename $(notdir $(filter-out %-launch-role.yaml,$(wildcard output/*.yaml))))
dry_run_flag = $(if $(filter-out 0 no false,$(DRY_RUN)),--dry-run)
# `+` runs this line even under make's own -n/--dry-run, to refuse it (it would look like success).
deploy: $(BUILT)
	+@if [ -n "$(findstring n,$(firstword -$(MAKEFLAGS)))" ]; then echo "make $@: make's own -n/--dry-run only prints the commands and changes nothing; for a dry run use DRY_RUN=1" >&2; exit 2; fi
	@test -n "$(ENV)" || { echo "make deploy: set ENV, one of: $(basename $(notdir $(wildcard params/*.json)))" >&2; exit 2; }
	@test -f params/$(ENV).json || { echo "make deploy: no params/$(ENV).json; ENV is one of: $(basename $(notdir $(wildcard params/*.json)))" >&2; exit 2; }
	@test -n "$(filter $(TEMPLATE),$(PRODUCT_TEMPLATES))" || { echo "make deploy: TEMPLATE=$(TEMPLATE) is not a product template; one of: $(PRODUCT_TEMPLATES)" >&2; exit 2; }
	@$(if $(filter-out 0 no false,$(SKIP_PREFLIGHT)),echo "deploy  preflight skipped (SKIP_PREFLIGHT=$(SKIP_PREFLIGHT))",$(PY) build.py preflight --params params/$(ENV).json --template output/$(TEMPLATE).yaml --stack-name $(STACK))
	@$(PY) build.py deploy --stack-name $(STACK) --params params/$(ENV).json --template output/$(TEMPLATE).yaml $(dry_run_flag) $(DEPLOY_ARGS)

# publish: `make publish VERSION=1.2.0 [DRY_RUN=1] [PUBLISH_ARGS="--product timestream-influxdb"]` builds,
# lints and publishes every product catalog.yaml lists to Service Catalog, each with its own launch
# role (PUBLISH_ARGS="--product NAME": only that one; see README).
publish: $(READY)
	+@if [ -n "$(findstring n,$(firstword -$(MAKEFLAGS)))" ]; then echo "make $@: make's own -n/--dry-run only prints the commands and changes nothing; for a dry run use DRY_RUN=1" >&2; exit 2; fi
	@test -n "$(VERSION)" || { echo "make publish: give VERSION, e.g. make publish VERSION=1.2.0" >&2; exit 2; }
	@$(PY) build.py publish --version "$(VERSION)" $(dry_run_flag) $(PUBLISH_ARGS)

# clean: what builds and tests leave (the gates' verdict cache, rejected templates, pytest's cache).
# distclean: also the environments (.venv, and .tools: the gates' own), made again on the next run.
clean:
	rm -rf .build .pytest_cache
	find build.py templates_src tooling tools tests -name __pycache__ -type d -prune -exec rm -rf {} +
	@echo "clean   kept $(VENV) and .tools (make distclean removes them too)"

distclean: clean
	rm -rf $(VENV) $(VENV).lock .tools

help:
	@echo "make build            render, gate and write output/*.yaml, regenerate the README's reference"
	@echo "make test             every test; make test-fast skips the slow ones"
	@echo "make lint [FILES=..]  every gate over output/*.yaml (or FILES)"
	@echo "make docs             regenerate the generated sections of README.md and docs/OPERATIONS.md"
	@echo "make deploy ENV=development [TEMPLATE=timestream-influxdb-cluster] [STACK=name] [DRY_RUN=1] [SKIP_PREFLIGHT=1] [DEPLOY_ARGS=...]"
	@echo "                      preflight checks, then a checked change set (DRY_RUN=1: change nothing)"
	@echo "make publish VERSION=1.2.0 [DRY_RUN=1] [PUBLISH_ARGS=...]"
	@echo "                      publish the products of catalog.yaml to Service Catalog (DRY_RUN=1: make no change)"
	@echo "make format, lint-py  format / check the Python code (ruff)"
	@echo "make bench [RUNS=5]   time cold, warm and no-op builds"
	@echo "make clean            remove .build, .pytest_cache and __pycache__ (keeps .venv and .tools)"
	@echo "make distclean        also remove .venv and .tools (the next run makes them again)"
	@echo "PYTHON=python3.12     the interpreter that makes .venv (Python $(SUPPORTED); default python3)"
	@echo "Never 'make -n deploy' or 'make --dry-run deploy': that is make's own flag, it only prints commands."

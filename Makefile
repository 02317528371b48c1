# Lianxin: `make demo` shows the whole job, `make test` runs the whole suite.
# Both create .venv with python3 and install everything they need into it.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip --quiet --disable-pip-version-check

.PHONY: demo test lint install install-dev clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Stamps: reinstall only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(PIP) install -e . 2>&1 | grep -v "is ignored" || true
	$(BIN)/python -c "import lianxin, prefect" && touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(PIP) install -e '.[dev]' 2>&1 | grep -v "is ignored" || true
	$(BIN)/python -c "import lianxin, prefect, pytest" && touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

demo: $(VENV)/.installed
	$(BIN)/lianxin demo

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/mypy

test: lint
	$(BIN)/pytest

# Benchmarks: JSON lines on stdout ({"name", "value", "unit"}); `make bench SCALE=province`.
SCALE ?= county
.PHONY: bench
bench: $(VENV)/.installed-dev
	@if [ -f benchmarks/parse_bench.py ]; then $(BIN)/python benchmarks/parse_bench.py; fi
	$(BIN)/python benchmarks/engine_bench.py --scale $(SCALE)

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache

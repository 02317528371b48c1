# Lianxin: `make demo` shows the whole job, `make test` runs the whole suite.
# Both create .venv with python3 and install everything they need into it.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip --quiet --disable-pip-version-check

.PHONY: demo test test-fast lint chromium install install-dev clean

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
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The suite runs in TEST_WORKERS processes (pytest-xdist), tests going out one by one (--dist
# load). Measured here, quiet: 3 workers 9 min 26 s with 16 CPU-minutes, 4 workers 10-12 min with
# 20 (each worker starts its own Prefect and dashboard servers); worksteal and loadscope slower.
TEST_WORKERS ?= 3
XDIST := -n $(TEST_WORKERS) --dist load
test: lint chromium
	$(BIN)/pytest $(XDIST)

# The inner loop: the unit-level tests only (no Chromium, PostgreSQL, Prefect server, nor any
# test marked slow); the markers come from tests/conftest.py. No lint here: `make test` lints.
FAST := not browser and not pg and not e2e and not slow
test-fast: $(VENV)/.installed-dev
	$(BIN)/pytest $(XDIST) -m "$(FAST)"

# The browser tests drive Debian's Chromium through Playwright, which never downloads a browser,
# and their screenshots need a Chinese font. Both are installed here when missing (as root, or
# with passwordless sudo); otherwise this target fails: the browser tests must not skip quietly.
BROWSER_PACKAGES := chromium fonts-wqy-microhei
HAVE_BROWSER := { command -v chromium || command -v chromium-browser; } >/dev/null 2>&1 \
	&& fc-list :lang=zh 2>/dev/null | grep -q .
chromium:
	@if $(HAVE_BROWSER); then \
	  exit 0; \
	elif [ "$$(id -u)" = 0 ]; then \
	  echo "Installing $(BROWSER_PACKAGES) for the browser tests (apt-get)…"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -qq $(BROWSER_PACKAGES) >/dev/null; \
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then \
	  echo "Installing $(BROWSER_PACKAGES) for the browser tests (sudo apt-get)…"; \
	  sudo -n apt-get update -qq && sudo -n env DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -qq $(BROWSER_PACKAGES) >/dev/null; \
	else \
	  echo "The browser tests need Chromium and a Chinese font. Install them with" >&2; \
	  echo "  sudo apt-get install $(BROWSER_PACKAGES)" >&2; \
	  echo "(chromium-browser on Ubuntu), then run make test again." >&2; \
	  exit 1; \
	fi; \
	$(HAVE_BROWSER)

# Benchmarks: JSON lines on stdout ({"name", "value", "unit"}); `make bench SCALE=province`.
# BENCH_ARGS passes options on, e.g. "--profile" (per-statement timings on stderr) or
# "--reuse DIR" (SQLite: keep the generated store and reuse it next time).
SCALE ?= county
BENCH_ARGS ?=
.PHONY: bench
bench: $(VENV)/.installed-dev
	@if [ -f benchmarks/parse_bench.py ]; then $(BIN)/python benchmarks/parse_bench.py; fi
	$(BIN)/python benchmarks/engine_bench.py --scale $(SCALE) $(BENCH_ARGS)

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache

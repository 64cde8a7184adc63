# The few commands people type. Each creates (or reuses) the virtual environment in .venv and installs
# what it needs, so both work on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check
# PyTorch's CPU wheel lies on disk on our machines; point pip at it when it is there.
WHEELS := $(wildcard /opt/wheels)
PIP_FLAGS := $(if $(WHEELS),--find-links $(WHEELS),)

.PHONY: gallery test bench lint clean browser

$(PY):
	$(PYTHON) -m venv $(VENV)

$(VENV)/.core: pyproject.toml setup.py convanim/encode/_gif.c | $(PY)
	$(PIP) install -q $(PIP_FLAGS) -e .
	touch $@

$(VENV)/.test: pyproject.toml setup.py convanim/encode/_gif.c | $(PY)
	$(PIP) install -q $(PIP_FLAGS) -e '.[test]'
	touch $@ $(VENV)/.core

## make gallery: render every config in configs/ into output/ and write output/index.html and README.md
gallery: $(VENV)/.core
	$(PY) -m convanim gallery configs -o output

## make test: install the test dependencies (PyTorch included), lint, and run the whole suite
test: $(VENV)/.test browser
	$(PY) -m ruff check convanim tests bench tools
	$(PY) -m pytest

# The gallery's browser test needs Debian's chromium (CI runs as root). A quick check when it is there; where
# it cannot be installed the test skips locally and fails under CI=true.
browser:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -q && apt-get install -y -q chromium) \
		|| echo "warning: could not install chromium; the gallery's browser test will not run"

## make bench: print the performance figures the issues ask for
bench: $(VENV)/.core
	$(PY) bench/bench.py

## make lint: ruff over the package, tests and tools
lint: $(VENV)/.test
	$(PY) -m ruff check convanim tests bench tools

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis

# The two commands a new user runs: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO   ?= demo-out

.PHONY: demo test bench lint system clean bad-inputs

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[test,bench,dask]"
	touch $(STAMP)

# System packages (headless Chromium, CJK fonts): installed with apt-get when run as root,
# otherwise reported; tests that need them then skip loudly (or fail under REDLINE_STRICT=1).
system:
	@sh tests/system-packages.sh

demo: $(STAMP) system
	$(BIN)/python -m redline.demo_run --out $(DEMO)

test: $(STAMP) system
	$(BIN)/python -m pytest -n 2 -q

bench: $(STAMP)
	@sh tests/system-packages.sh bench
	$(BIN)/python -m bench

# the bad-input corpus of tests/test_bad_inputs.py, written into tests/data/bad/ to look at
bad-inputs: $(STAMP)
	$(BIN)/python -m redline.cli demo --out $(DEMO) > /dev/null
	$(BIN)/python -m tests.bad_inputs tests/data/bad $(DEMO)

lint: $(STAMP)
	$(BIN)/ruff check redline layers spatial maps tests bench

clean:
	rm -rf $(VENV) $(DEMO) .pytest_cache

# Two commands on a fresh machine: `make run` starts the whole system, `make test` tests it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | cksum | cut -d' ' -f1)

.PHONY: run test test-slow test-all fuzz install lint clean

run: $(STAMP)
	$(BIN)/lapor run

# The fast suite (a few minutes); the slow one runs whole processes, Chromium and the bot.
test: $(STAMP)
	$(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

test-slow: $(STAMP)
	$(BIN)/python -m pytest -m "slow and not fuzz" $(PYTEST_ARGS)

# The long fuzz (tests/test_fuzz.py): schemathesis, 500 requests per API operation, and
# hypothesis on the reporter's forms and the staff console; a few minutes.
fuzz: $(STAMP)
	$(BIN)/python -m pytest -m fuzz $(PYTEST_ARGS)

test-all: test test-slow

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

install: $(STAMP)

$(STAMP):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Lapor butuh Python 3.11 atau lebih baru (PYTHON=$(PYTHON)).")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info

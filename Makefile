# The two commands: `make run` and `make test`. Nothing else is needed on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO := demo
# A real atproto PDS from npm for the Bluesky connector tests
PDS := tests/publish/connectors/pds

.PHONY: run test install lint format clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev,spark]'
	touch $(STAMP)

$(PDS)/node_modules/.installed: $(PDS)/package-lock.json
	npm ci --prefix $(PDS) --no-audit --no-fund
	touch $@

install: $(STAMP)

run: $(STAMP)
	$(BIN)/sociable demo $(DEMO)
	$(BIN)/sociable --config $(DEMO)/sociable.toml serve --demo-receiver

test: $(STAMP) $(PDS)/node_modules/.installed
	scripts/ensure-postgres
	scripts/ensure-browser
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy src
	$(BIN)/pytest

format: $(STAMP)
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

clean:
	rm -rf $(VENV) $(DEMO) .pytest_cache .mypy_cache .ruff_cache

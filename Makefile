# Two commands for a newcomer: `make demo` and `make test`. Each creates or refreshes .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha256sum | cut -c1-16)

.PHONY: demo test test-unit test-integration lint bench venv clean-demo

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/wattledger demo

test: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider

# Fault, fuzz and load runs at full size (kill -9, server restarts, faulty ISO, 10,000+ malformed requests,
# 50 concurrent uploaders): about 7 minutes on two cores. `make test` runs reduced versions of them.
.PHONY: test-faults
test-faults: $(STAMP)
	WATTLEDGER_FAULTS=full $(BIN)/python -m pytest -q -p no:cacheprovider tests/faults tests/fuzz tests/security

test-unit: $(STAMP)
	$(BIN)/python -m pytest -q tests/unit

# Style, strict types and the layer contracts of pyproject.toml ([tool.importlinter]); CI runs it first.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy .
	$(BIN)/lint-imports

clean-demo:
	rm -rf .wattledger/data .wattledger/inbox .wattledger/outbox

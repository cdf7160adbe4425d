# Set-up and entry points; README.md documents them.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install test demo bench clean

$(BIN)/avspnet: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[test]"
	touch $@

install: $(BIN)/avspnet

test: install
	$(BIN)/python -m pytest -q

demo: install
	$(BIN)/avspnet demo --output runs/demo

bench: install
	$(BIN)/python benchmarks/bench_features.py

clean:
	rm -rf $(VENV) runs .pytest_cache

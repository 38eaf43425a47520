# ecosim: `make run` runs the baseline, `make test` checks everything. Each target sets up
# what it needs (venv, Python deps, the Rust extension) once, and skips it when up to date.
SHELL := /bin/bash
PY_SYS ?= $(shell command -v python3.12 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP_VENV := $(VENV)/.stamp-venv
STAMP_EXT := $(VENV)/.stamp-ext
RUST_SRC := $(shell find core_rs -name '*.rs' -not -path '*/target/*') $(wildcard core_rs/*/Cargo.toml) Cargo.toml
export VIRTUAL_ENV := $(abspath $(VENV))
export PATH := $(abspath $(VENV))/bin:$(PATH)

.PHONY: setup build run test lint typecheck rust-test py-test bench app clean facts docs

setup: $(STAMP_EXT)

# Recreate the venv when it is missing or was made by another Python than 3.12.
$(STAMP_VENV):
	@if [ ! -x $(PY) ] || ! $(PY) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))'; then \
		rm -rf $(VENV); $(PY_SYS) -m venv $(VENV); fi
	$(PY) -m pip install -q --upgrade pip "maturin>=1.7,<2"
	@touch $@

$(STAMP_EXT): $(STAMP_VENV) $(RUST_SRC) pyproject.toml
	$(VENV)/bin/maturin develop --release --extras app,sweep,dev -q
	$(PY) -c 'import sim._core'
	@touch $@

build: $(STAMP_EXT)

run: $(STAMP_EXT)
	$(PY) -m sim run scenarios/baseline.yaml
	$(PY) -m sim facts scenarios/baseline.yaml --seeds 3

lint: $(STAMP_EXT)
	$(VENV)/bin/ruff check sim app tests benchmarks tools
	$(VENV)/bin/ruff format --check sim app tests benchmarks tools

typecheck: $(STAMP_EXT)
	$(VENV)/bin/mypy
	$(PY) -m mypy.stubtest sim._core

rust-test:
	cargo test --release -q -p ecosim-core
	@! cargo tree -p ecosim-core -e normal | grep -q pyo3 || { echo "ecosim-core must not depend on pyo3"; exit 1; }
	cargo clippy --release -q --workspace -- -D warnings
	cargo fmt --all --check

py-test: $(STAMP_EXT)
	$(PY) -m pytest

test: lint typecheck rust-test py-test

bench: $(STAMP_EXT)
	$(PY) -m benchmarks

# The reference pages generated from the code (docs/metrics.md, the levers in docs/model.md)
# and the API reference from the docstrings (docs/api/index.html, not committed).
docs: $(STAMP_EXT)
	$(PY) -m tools.reference_docs
	$(PY) -m pdoc --docformat numpy -o docs/api sim sim.scenario sim.model sim.model.steps \
		sim.metrics sim.runs sim.analysis sim.sweeps sim.allocation sim.fairness 2>/dev/null
	@echo "API reference: docs/api/index.html"

app: $(STAMP_EXT)
	$(PY) -m sim app

clean:
	cargo clean
	rm -rf $(VENV) runs

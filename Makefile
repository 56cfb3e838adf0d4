# Quick start: `make demo` (install + compress a generated sample), `make test` (install + tests).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test install bench fuzz clean

$(STAMP): pyproject.toml setup.py $(shell find logzip fmindex -name "*.pyx" -o -name "*.pxd")
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
# Bytecode, as pip writes it for a wheel: an editable install leaves it to the first import,
# which PYTHONDONTWRITEBYTECODE stops (then every command compiles the package: 0.17 s).
	$(PY) -m compileall -q logzip fmindex cli > /dev/null
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(PY) -m corpora.demo

test: $(STAMP)
	$(PY) -m pytest -q

fuzz: $(STAMP)
	LOGZIP_FUZZ_EXAMPLES=$${LOGZIP_FUZZ_EXAMPLES:-20000} $(PY) -m pytest -q tests/test_fuzz.py

bench: $(STAMP)
	$(PY) -m bench.compression
	$(PY) -m bench.throughput
	$(PY) -m bench.grouping
	$(PY) -m bench.fmindex
	$(PY) -m bench.search

clean:
	rm -rf $(VENV) build *.egg-info fmindex/*.c fmindex/*.so logzip/codec/*.c logzip/codec/*.so

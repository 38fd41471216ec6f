# `make test` builds .venv on first use, then checks everything on current versions;
# `make test-minimum` runs the suite on the lowest declared ones. CI (.ci/run) runs both.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The package with its emulator and nothing else: all `make demo` needs, so a newcomer's
# first command does not wait for the dev toolchain (`make test` installs the rest).
DEMO_STAMP := $(VENV)/.demo-installed
# pip for .venv: its own when it has one; else the pip of the interpreter running make,
# which installs into another environment with --python (pip >= 22.3), so that `make demo`
# makes the venv without a pip of its own (ensurepip is the slowest step of a fresh demo);
# else (no such pip, or it failed: its errors show on the second try) the venv's own after all.
define venv_pip
if test -x $(BIN)/pip; then $(BIN)/python -m pip $(1); \
else $(PYTHON) -m pip --python $(BIN)/python $(1) 2>/dev/null \
|| { $(BIN)/python -m ensurepip --default-pip && $(BIN)/python -m pip $(1); }; fi
endef
# A second venv holding the lowest versions pyproject.toml declares (make test-minimum).
MIN_VENV := .venv-min
MIN_BIN := $(MIN_VENV)/bin
MIN_STAMP := $(MIN_VENV)/.installed
MINIMUM := constraints/minimum.txt

.PHONY: test test-minimum lint typecheck pytest docs demo bench install clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	test -x $(BIN)/pip || $(BIN)/python -m ensurepip --default-pip
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The demo runs from this folder (python -m), so it needs the package's requirements but not
# the package built and installed (which fetches and runs the build backend): they are read
# from pyproject.toml with tomllib (Python 3.11+; an older one installs the package as usual).
# Bytecode is compiled on first import, of what the demo imports, not of every file.
DEMO_REQUIREMENTS := $(VENV)/demo-requirements.txt
READ_REQUIREMENTS := import tomllib; project = tomllib.load(open('pyproject.toml', 'rb'))['project']; \
	print(*project['dependencies'], *project['optional-dependencies']['emulator'], sep='\n')

$(DEMO_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv --without-pip $(VENV)
	test -f $(STAMP) -a $(STAMP) -nt pyproject.toml || { \
	if $(PYTHON) -c "$(READ_REQUIREMENTS)" > $(DEMO_REQUIREMENTS) 2>/dev/null; then \
	$(call venv_pip,install --quiet --no-compile -r $(DEMO_REQUIREMENTS)); \
	else $(call venv_pip,install --quiet --no-compile -e '.[emulator]'); fi; }
	touch $(DEMO_STAMP)

$(MIN_STAMP): pyproject.toml $(MINIMUM)
	test -x $(MIN_BIN)/python || $(PYTHON) -m venv $(MIN_VENV)
	$(MIN_BIN)/python -m pip install --quiet --upgrade pip
	$(MIN_BIN)/python -m pip install --quiet --constraint $(MINIMUM) -e '.[test]'
	touch $(MIN_STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The package, and the code a reader copies: the README's python blocks and the examples.
typecheck: $(STAMP)
	$(BIN)/mypy --strict responses_client
	$(BIN)/python docs/extract_snippets.py .snippets README.md
	$(BIN)/mypy --strict docs/examples .snippets

pytest: $(STAMP)
	$(BIN)/coverage run -m pytest
	$(BIN)/coverage report

docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet --site-dir site

test: lint typecheck docs pytest

# The suite on the declared floors; the test tools themselves may be current. The
# conformance tests need openai-python, which needs typing_extensions>=4.11, above our
# floor: they are left out here (their module imports openai, so it is not even collected)
# and run in `make test`.
test-minimum: $(MIN_STAMP)
	$(MIN_BIN)/python -m pytest -m "not conformance" --ignore=tests/emulator/test_conformance.py

demo: $(DEMO_STAMP)
	$(BIN)/python -m responses_client demo

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) $(MIN_VENV) site .snippets .mypy_cache .pytest_cache .ruff_cache

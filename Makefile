# One command each: `make test`, `make demo`. Both create .venv and install the pinned dependencies first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/pip install --quiet --disable-pip-version-check --no-compile
# Two layers, so that `make demo` on a fresh clone installs only what the demo needs (well under a minute);
# `make test` adds the CDK, pytest and the linters on top.
LOCAL := $(VENV)/.installed-local
DEV := $(VENV)/.installed-dev

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python >= 3.11 is required, found " + sys.version.split()[0]'
	$(PYTHON) -m venv $(VENV)

$(LOCAL): $(BIN)/python requirements.txt requirements-local.txt pyproject.toml setup.py
	$(PIP) -r requirements-local.txt
	$(PIP) --no-deps -e .
	@touch $@

$(DEV): $(LOCAL) requirements-dev.txt
	$(PIP) -r requirements-dev.txt
	@touch $@

# Tests only ever talk to moto: start them without the shell's AWS identity (tests/conftest.py refuses to run
# if any of these is set, so a bare `pytest` in a shell holding real credentials stops before any test).
NO_AWS := env -u AWS_PROFILE -u AWS_DEFAULT_PROFILE -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY \
	-u AWS_SESSION_TOKEN -u AWS_SECURITY_TOKEN -u AWS_ROLE_ARN -u AWS_WEB_IDENTITY_TOKEN_FILE \
	-u AWS_CONTAINER_CREDENTIALS_FULL_URI -u AWS_CONTAINER_CREDENTIALS_RELATIVE_URI -u AWS_ENDPOINT_URL

.PHONY: test demo lint synth bench clean install-check

test: $(DEV)
	$(BIN)/ruff check .
	$(NO_AWS) $(BIN)/pytest -n 2 --dist loadfile -q

demo: $(LOCAL)
	$(BIN)/notebook-guard demo

# Prints where the template went, the settings in use and the synth warnings.
synth: $(DEV)
	$(BIN)/python app.py

# `pip install .` and `pipx install .` in clean venvs outside the repository, then `notebook-guard --version`
# and `notebook-guard demo` there (dependencies from the package index; about two minutes).
install-check:
	bash scripts/install-check.sh

bench: $(DEV)
	$(BIN)/python -m notebook_guard_local.bench

lint: $(DEV)
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) cdk.out .pytest_cache build notebook_guard.egg-info

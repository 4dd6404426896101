#!/usr/bin/env bash
# `make install-check`: install notebook-guard as a user would, in clean virtual environments outside the
# repository, and run `notebook-guard --version` and `notebook-guard demo` there:
#   1. `pip install .` into a fresh venv (every dependency resolved from the package index);
#   2. `pipx install .` (pipx itself installed from the package index into a throw-away venv).
# Everything lives under one temporary directory, removed at the end. Prints the time of each part.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"   # outside the repository: nothing is imported from the source tree
export PIP_DISABLE_PIP_VERSION_CHECK=1
unset PYTHONPATH AWS_ENDPOINT_URL

step() { printf '\n== %s\n' "$*"; }
timed() { local start=$SECONDS; "$@"; printf '   (%ss)\n' "$((SECONDS - start))"; }

check() {  # $1: the installed command
  "$1" --version
  "$1" demo -q | tee demo.out
  grep -Eq '^VERDICT: all [0-9]+ notebooks as expected$' demo.out
}

# A copy of what the build reads: setuptools builds in the source tree (build/, *.egg-info).
mkdir src
cp -r "$ROOT"/{pyproject.toml,setup.py,README.md,lambdas,local,infra} src/
find src -name __pycache__ -prune -exec rm -rf {} +

step "pip install . (fresh venv, dependencies from the index)"
timed "$PYTHON" -m venv venv
timed venv/bin/pip install --quiet ./src
step "notebook-guard --version and demo, from $WORK"
timed check venv/bin/notebook-guard

step "pipx install . (pipx from the index, into its own venv)"
timed "$PYTHON" -m venv pipx-venv
timed pipx-venv/bin/pip install --quiet pipx
export PIPX_HOME="$WORK/pipx-home" PIPX_BIN_DIR="$WORK/pipx-bin" PIPX_MAN_DIR="$WORK/pipx-man"
timed pipx-venv/bin/pipx install --quiet ./src
step "notebook-guard --version and demo (pipx's), from $WORK"
timed check "$PIPX_BIN_DIR/notebook-guard"
printf '\ninstall-check: both installs work outside the repository\n'

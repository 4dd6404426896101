"""``python -m notebook_guard_local.demo [options]``: the same as ``notebook-guard demo [options]``."""

import sys

from notebook_guard_local.cli import main

sys.exit(main(["demo", *sys.argv[1:]]))

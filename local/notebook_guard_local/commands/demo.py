"""``notebook-guard demo``: the whole remediation, end to end, against a local simulation (no AWS account).

Not implemented yet: the arguments are registered so the command line is stable; ``run`` says so and exits 2.
"""

from __future__ import annotations

import argparse

from notebook_guard_local.commands.common import not_implemented

NAME = "demo"

EPILOG = """\
Runs entirely on this machine (a moto server on 127.0.0.1); no AWS credentials are needed or used.

Examples:
  notebook-guard demo
  notebook-guard demo --notebooks 5 --keep
"""


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        NAME,
        help="run the remediation end to end against a local simulation (not implemented yet)",
        description="Seed a local simulated account with violating notebooks and remediate them step by step.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--notebooks", type=int, default=3, metavar="N", help="violating notebooks to seed")
    parser.add_argument("--keep", action="store_true", help="keep the local server running afterwards")
    parser.set_defaults(run=not_implemented(NAME))
    return parser

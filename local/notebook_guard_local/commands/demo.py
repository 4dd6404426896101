"""``notebook-guard demo``: the whole product on an embedded, simulated AWS account (what ``make demo`` runs)."""

from __future__ import annotations

import argparse

from notebook_guard_local.demo.run import DESCRIPTION, EPILOG, add_demo_arguments, run_demo

NAME = "demo"
# JSON: the report (as --report writes it); CSV: one row per notebook, expected and observed outcome.
OUTPUTS = ("table", "json", "csv")


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        NAME,
        help="play the story on a simulated AWS account on this machine (no AWS account needed)",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_demo_arguments(parser)
    parser.set_defaults(run=run_demo)
    return parser

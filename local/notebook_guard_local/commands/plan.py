"""``notebook-guard plan NAME``: the preflight results and the exact request a remediation would issue."""

from __future__ import annotations

import argparse

from notebook_guard_local.commands.common import AWS_ENVIRONMENT_HELP, add_region_option
from notebook_guard_local.operations import PLAN_DESCRIPTION, PLAN_EPILOG, add_plan_arguments, run_plan

NAME = "plan"


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        NAME,
        help="show the preflight and the exact CreateNotebookInstance request a remediation would issue (read-only)",
        description=PLAN_DESCRIPTION,
        epilog=PLAN_EPILOG + "\n" + AWS_ENVIRONMENT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_region_option(parser, top_level=False)
    add_plan_arguments(parser, region=False)
    parser.set_defaults(run=run_plan)
    return parser

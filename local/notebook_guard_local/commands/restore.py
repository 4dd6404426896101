"""``notebook-guard restore SNAPSHOT``: recreate a notebook from its snapshot."""

from __future__ import annotations

import argparse

from notebook_guard_local.commands.common import AWS_ENVIRONMENT_HELP, add_region_option
from notebook_guard_local.operations import RESTORE_DESCRIPTION, RESTORE_EPILOG, add_restore_arguments, run_restore

NAME = "restore"


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        NAME,
        help="recreate a notebook from its snapshot (refuses when a notebook of that name exists)",
        description=RESTORE_DESCRIPTION,
        epilog=RESTORE_EPILOG + "\n" + AWS_ENVIRONMENT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_region_option(parser, top_level=False)
    add_restore_arguments(parser, region=False)
    parser.set_defaults(run=run_restore)
    return parser

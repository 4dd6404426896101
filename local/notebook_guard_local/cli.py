"""The ``notebook-guard`` command: audit, plan, restore, approve, reject, demo.

Each subcommand lives in its own module under ``commands/`` and registers its own arguments; this module
only assembles the parser and turns failures into exit codes. It is not part of the Lambda asset.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from notebook_guard_local.commands import approve, audit, demo, plan, reject, restore
from notebook_guard_local.commands.common import AWS_ENVIRONMENT_HELP, EXIT_USAGE_OR_AWS_ERROR, add_region_option

SUBCOMMANDS = (audit, plan, restore, approve, reject, demo)

EPILOG = (
    """\
Examples:
  notebook-guard audit --region eu-west-1
  notebook-guard --region eu-west-1 audit --format json
  notebook-guard audit --help

"""
    + AWS_ENVIRONMENT_HELP
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="notebook-guard",
        description="Find and remediate SageMaker notebook instances that run outside a VPC "
        "(Security Hub SageMaker.1/.2/.3).",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_region_option(parser, top_level=True)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in SUBCOMMANDS:
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse: 0 after --help, 2 on a usage error (message already printed)
        return exit_.code if isinstance(exit_.code, int) else EXIT_USAGE_OR_AWS_ERROR

    from notebook_guard.aws import clients
    from notebook_guard_local.commands.common import run_guarded

    # Clients are cached per process: drop any made before this call's region and endpoint were known.
    clients.reset()
    try:
        return run_guarded(args.run, args)
    finally:
        clients.reset()


if __name__ == "__main__":
    sys.exit(main())

"""``notebook-guard restore``: recreate a notebook from the snapshot remediation took before deleting it.

Not implemented yet: the arguments are registered so the command line is stable; ``run`` says so and exits 2.
"""

from __future__ import annotations

import argparse

from notebook_guard_local.commands.common import AWS_ENVIRONMENT_HELP, add_region_option, not_implemented

NAME = "restore"

EPILOG = (
    """\
Examples:
  notebook-guard restore ml-feature-exploration --snapshot-bucket my-notebook-guard-snapshots --dry-run
  notebook-guard restore ml-feature-exploration --snapshot-bucket my-notebook-guard-snapshots --yes

"""
    + AWS_ENVIRONMENT_HELP
)


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        NAME,
        help="recreate a notebook from its remediation snapshot (not implemented yet)",
        description="Recreate a notebook instance from the snapshot remediation wrote before deleting it.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_region_option(parser, top_level=False)
    parser.add_argument("name", metavar="NAME", help="the notebook instance to restore")
    parser.add_argument("--snapshot-bucket", metavar="BUCKET", help="bucket holding the snapshots")
    parser.add_argument("--snapshot-key", metavar="KEY", help="a specific snapshot object (default: the latest)")
    parser.add_argument("--dry-run", action="store_true", help="print the create request instead of sending it")
    parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    parser.set_defaults(run=not_implemented(NAME))
    return parser

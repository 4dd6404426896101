"""``notebook-guard plan``: what remediation would do to each violating notebook, without doing it.

Not implemented yet: the arguments are registered so the command line is stable; ``run`` says so and exits 2.
"""

from __future__ import annotations

import argparse

from notebook_guard_local.commands.common import AWS_ENVIRONMENT_HELP, add_region_option, not_implemented

NAME = "plan"

EPILOG = (
    """\
Examples:
  notebook-guard plan --region eu-west-1
  notebook-guard plan ml-feature-exploration --target-subnet-ids subnet-0abc --target-security-group-ids sg-0abc

"""
    + AWS_ENVIRONMENT_HELP
)


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        NAME,
        help="show what remediation would do to each violator (read-only; not implemented yet)",
        description="Show, per violating notebook, the steps remediation would take and the request it would "
        "recreate it with. Changes nothing.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_region_option(parser, top_level=False)
    parser.add_argument("names", nargs="*", metavar="NAME", help="notebooks to plan for (default: every violator)")
    parser.add_argument("--format", choices=("table", "json"), default="table", help="output format")
    parser.add_argument("--target-subnet-ids", metavar="SUBNET[,SUBNET...]", help="private subnets to recreate into")
    parser.add_argument(
        "--target-security-group-ids", metavar="SG[,SG...]", help="security groups for the recreated notebook"
    )
    parser.set_defaults(run=not_implemented(NAME))
    return parser

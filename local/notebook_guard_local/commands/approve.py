"""``notebook-guard approve EXECUTION --reason TEXT``: approve the remediation an execution waits for."""

from __future__ import annotations

import argparse

from notebook_guard_local.approvals import add_decision_arguments, run_decision
from notebook_guard_local.commands.common import AWS_ENVIRONMENT_HELP

NAME = "approve"
OUTPUTS = ("table", "json")


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        NAME,
        help="approve a remediation that waits for a person (it then stops, deletes and recreates the notebook)",
        description="Approve the remediation the execution waits for, as your AWS identity, with a reason.",
        epilog=AWS_ENVIRONMENT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_decision_arguments(parser)
    parser.set_defaults(run=lambda args: run_decision(args, approved=True))
    return parser

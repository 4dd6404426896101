"""``notebook-guard reject EXECUTION --reason TEXT``: reject the remediation an execution waits for."""

from __future__ import annotations

import argparse

from notebook_guard_local.approvals import add_decision_arguments, run_decision
from notebook_guard_local.commands.common import AWS_ENVIRONMENT_HELP

NAME = "reject"
OUTPUTS = ("table", "json")


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        NAME,
        help="reject a remediation that waits for a person (it falls back to notify or quarantine; nothing deleted)",
        description="Reject the remediation the execution waits for, as your AWS identity, with a reason.",
        epilog=AWS_ENVIRONMENT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_decision_arguments(parser)
    parser.set_defaults(run=lambda args: run_decision(args, approved=False))
    return parser

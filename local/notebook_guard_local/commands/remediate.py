"""``notebook-guard remediate NAME [--action ...]``: start the deployed remediation workflow for one notebook."""

from __future__ import annotations

import argparse
import json
import sys

from notebook_guard_local.commands.common import AWS_ENVIRONMENT_HELP, notice, single_region

NAME = "remediate"
OUTPUTS = ("table", "json")

DESCRIPTION = """\
Start the remediation workflow deployed in the region (the stack's StateMachineArn output) for notebook NAME,
as a person's decision (trigger "manual"). Nothing is done here but the start: the workflow judges the notebook
with the deployed settings, snapshots it and runs its preflight before anything destructive, waits for an
approval when the stack requires one, and alerts the team when it ends. For a notebook outside a VPC,
"remediate" deletes it and recreates it in a private subnet: the ML storage volume (/home/ec2-user/SageMaker)
is destroyed with it; run "notebook-guard plan NAME" first to see the steps and the request.

One workflow acts on a notebook at a time (its lease in the stack's coordination table): when another execution
holds the notebook, the command says which and starts nothing. A person's start is not bounded by max_attempts."""

EPILOG = """\
Examples:
  notebook-guard remediate churn-forecast --region eu-west-1
  notebook-guard remediate legacy-etl --action quarantine --wait
  notebook-guard remediate churn-forecast --output json

Exit codes: 0 started (with --wait: the execution succeeded, whatever the outcome it reports), 2 usage or AWS
error, no such notebook or stack, the notebook held by another workflow, or (with --wait) the execution failed.
"""


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        NAME,
        help="start the deployed remediation workflow for a notebook (under its lease)",
        description=DESCRIPTION,
        epilog=EPILOG + "\n" + AWS_ENVIRONMENT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("name", metavar="NAME", help="notebook instance name")
    parser.add_argument(
        "--action",
        choices=("remediate", "quarantine", "notify"),
        default="remediate",
        help="what the workflow may do: remediate (fix: recreate in a private subnet, or disable root access in "
        "place), quarantine (snapshot and stop) or notify (alert only); default: remediate",
    )
    parser.add_argument(
        "--stack-name", default=None, metavar="NAME", help="the deployed stack (default: NotebookGuard)"
    )
    parser.add_argument(
        "--wait",
        action="store_true",
        help="wait until the execution ends (at most 2 hours) and print its outcome",
    )
    parser.set_defaults(run=run)
    return parser


def run(args: argparse.Namespace) -> int:
    from notebook_guard.domain.models import Action
    from notebook_guard_local.aws_access import resolve_region
    from notebook_guard_local.remediating import find_deployment, print_started, start_remediation, wait_for_end
    from notebook_guard_local.reports import envelope
    from notebook_guard_local.stack_settings import STACK_NAME

    region = resolve_region(single_region(args))
    deployment = find_deployment(args.stack_name or STACK_NAME, region)
    started = start_remediation(args.name, Action(args.action), deployment)
    if args.wait:
        notice(args, f"started {started.execution_arn}; waiting for it to end (Ctrl-C leaves it running)")
        started = wait_for_end(started)
    if args.output == "json":
        settings = {"action": args.action, "stack_name": deployment.stack_name, "wait": args.wait}
        account = started.notebook_arn.split(":")[4]
        document = envelope("notebook-guard/remediate", regions=[region], settings=settings, account=account)
        json.dump(document | started.to_dict(), sys.stdout, indent=2, default=str)
        sys.stdout.write("\n")
    else:
        print_started(started, sys.stdout, waited=args.wait)
    return 0 if started.status in ("RUNNING", "SUCCEEDED") else 2

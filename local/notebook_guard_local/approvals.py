"""``notebook-guard approve|reject EXECUTION --reason TEXT``: a person's decision on a remediation waiting for it.

The approver's identity is who the AWS credentials say they are (``sts:GetCallerIdentity``, which needs no
permission); the decision goes to the waiting task through ``services.approvals`` (the same code the Security Hub
custom action uses). Step Functions accepts one decision per approval: a second one, or one after the timeout or
the execution's end, is refused, and this command says so (exit code 2).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from typing import TextIO

from notebook_guard.aws import account
from notebook_guard.domain import approval
from notebook_guard.domain.errors import ApprovalClosed, NoPendingApproval
from notebook_guard.services import approvals
from notebook_guard.services.audit import now_iso
from notebook_guard_local.aws_access import CommandError, resolve_region

_EXECUTION = "arn:aws[a-z-]*:states:[a-z0-9-]+:\\d{12}:execution:[A-Za-z0-9_-]+:[A-Za-z0-9_-]+"


def add_decision_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument(
        "execution", metavar="EXECUTION", help="the waiting execution's ARN (the approval-requested alert names it)"
    )
    parser.add_argument("--reason", required=True, help="why: recorded with your identity in the audit record")
    parser.add_argument(
        "--coordination-table",
        default=None,
        help="the stack's coordination table (output CoordinationTableName; default: NG_COORDINATION_TABLE)",
    )
    parser.add_argument("--json", action="store_true", help="the same as --output json")
    return parser


def run_decision(args: argparse.Namespace, approved: bool, stream: TextIO | None = None) -> int:
    stream = stream or sys.stdout
    if not re.fullmatch(_EXECUTION, args.execution or ""):
        raise CommandError(f"EXECUTION must be an execution ARN (arn:aws:states:...:execution:...): {args.execution!r}")
    table = args.coordination_table or os.environ.get("NG_COORDINATION_TABLE")
    if not table:
        raise CommandError("no coordination table: pass --coordination-table NAME (the stack's CoordinationTableName)")
    if not (args.reason or "").strip():
        raise CommandError("--reason must say why")
    regions = getattr(args, "regions", None) or []
    if len(regions) > 1:
        raise CommandError(f"{args.command} works in one region: give --region once")
    region = resolve_region(regions[0] if regions else args.execution.split(":")[3])
    identity = account.caller_arn(region)
    record = approval.decision(approved, identity, args.reason.strip(), approval.Via.CLI, now_iso())
    try:
        waiting = approvals.decide(table, args.execution, record, region)
    except (NoPendingApproval, ApprovalClosed) as error:
        raise CommandError(str(error)) from None
    result = {**waiting.public(), "decision": record}
    if getattr(args, "json", False) or getattr(args, "output", "table") == "json":
        print(json.dumps(result, indent=2, default=str), file=stream)
    else:
        verb = "Approved" if approved else "Rejected"
        print(f"{verb} the remediation of notebook {waiting.notebook_name} ({waiting.action})", file=stream)
        print(f"  execution: {waiting.execution_id}", file=stream)
        print(f"  by: {identity}", file=stream)
        print(f"  reason: {record['reason']}", file=stream)
    return 0

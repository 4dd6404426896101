"""``notebook-guard plan NAME``: the preflight results and the exact request a remediation would issue."""

from __future__ import annotations

import argparse
import sys

from notebook_guard.settings import DEFAULT_ENDPOINTS
from notebook_guard_local.commands.common import AWS_ENVIRONMENT_HELP, single_region

NAME = "plan"
OUTPUTS = ("table", "json", "csv", "sarif")

DESCRIPTION = """\
Show what a remediation of notebook NAME would do, without changing anything: the notebook's violations, the
workflow's steps in the order it runs them (the configuration is snapshotted first; for a notebook outside a
VPC the notebook is then deleted, which destroys its ML storage volume /home/ec2-user/SageMaker, and recreated),
the preflight checks the workflow runs before anything destructive (target subnet private, security groups in
its VPC, VPC endpoints present, execution role and KMS key usable) and the exact CreateNotebookInstance request
it would issue (or the UpdateNotebookInstance of a root-access-only fix). Read-only: it only calls
Describe/List/Get APIs."""

EPILOG = """\
Examples:
  notebook-guard plan churn-forecast --region eu-west-1 \\
      --subnet-id subnet-0abc1234def567890 --security-group-id sg-0123456789abcdef0
  notebook-guard plan churn-forecast --output json

Exit codes: 0 the remediation could proceed (or there is nothing to do), 1 its preflight would block it,
2 usage or AWS error.
"""


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        NAME,
        help="show the steps, the preflight and the exact CreateNotebookInstance request a remediation would "
        "issue (read-only)",
        description=DESCRIPTION,
        epilog=EPILOG + "\n" + AWS_ENVIRONMENT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("name", metavar="NAME", help="notebook instance name")
    parser.add_argument("--subnet-id", help="target private subnet (the stack's NG_TARGET_SUBNET_IDS)")
    parser.add_argument(
        "--security-group-id",
        action="append",
        default=[],
        dest="security_group_ids",
        metavar="SG_ID",
        help="target security group for the notebook; repeat for several",
    )
    parser.add_argument(
        "--endpoint",
        action="append",
        dest="endpoints",
        metavar="SERVICE",
        help=f"VPC endpoint the target VPC must have (short name, e.g. sagemaker.api); repeat; "
        f"default: {', '.join(DEFAULT_ENDPOINTS)}",
    )
    parser.add_argument(
        "--root-access",
        choices=("disabled", "allowed"),
        default="disabled",
        help="policy for root access (default: disabled, so the recreated notebook gets RootAccess=Disabled)",
    )
    parser.add_argument("--snapshot-bucket", help="snapshot bucket, to show the snapshot tag as it would be")
    parser.add_argument(
        "--json",
        dest="output",
        action="store_const",
        const="json",
        default=argparse.SUPPRESS,
        help="same as --output json (kept)",
    )
    parser.set_defaults(run=run)
    return parser


def run(args: argparse.Namespace) -> int:
    from notebook_guard_local.planning import PlanOptions, plan_remediation, print_plan

    options = PlanOptions(
        subnet_id=args.subnet_id,
        security_group_ids=tuple(args.security_group_ids or ()),
        endpoints=tuple(args.endpoints or DEFAULT_ENDPOINTS),
        root_access=args.root_access,
        snapshot_bucket=args.snapshot_bucket,
        region=single_region(args),
    )
    result = plan_remediation(args.name, options)
    if args.output == "table":
        print_plan(result, sys.stdout)
    else:
        write_machine_readable(result, options, args.output)
    return 1 if result.blocked else 0


def write_machine_readable(result, options, output: str) -> None:
    import json

    from notebook_guard_local.reports import envelope, request_rows, write_sections_csv

    account = result.arn.split(":")[4] if result.arn else None  # the described notebook's: no extra call
    settings = {
        "subnet_id": options.subnet_id,
        "security_group_ids": list(options.security_group_ids),
        "endpoints": list(options.endpoints),
        "root_access": options.root_access,
        "snapshot_bucket": options.snapshot_bucket,
    }
    if output == "json":
        document = envelope("notebook-guard/plan", regions=[result.region], settings=settings, account=account)
        json.dump(document | result.to_dict(), sys.stdout, indent=2, default=str)
        sys.stdout.write("\n")
    elif output == "csv":
        rows = [("notebook", "name", result.notebook_name), ("notebook", "status", result.status)]
        rows += [("violation", v["control_id"], f"{v['check']}: {v['reason']}") for v in result.violations]
        rows += [("step", str(n), step) for n, step in enumerate(result.steps, 1)]
        rows += [("preflight", "passed", str(bool(result.preflight.get("passed"))).lower())]
        rows += [("preflight", "problem", p) for p in result.preflight.get("problems") or []]
        rows += [("dropped", "", d) for d in result.dropped]
        write_sections_csv(sys.stdout, rows + request_rows(result.request))
    else:
        plan_report(result, settings, account).write_sarif(sys.stdout)


def plan_report(result, settings: dict, account: str | None):
    """The plan's findings as an audit report of one notebook (for SARIF)."""
    from notebook_guard.domain import workflow
    from notebook_guard.domain.timestamps import utc_timestamp
    from notebook_guard_local.auditing import RegionResult
    from notebook_guard_local.reports import AuditReport
    from notebook_guard_local.version import package_version

    row = {
        "region": result.region,
        "name": result.notebook_name,
        "arn": result.arn,
        "status": result.status,
        "subnet_id": result.subnet_id,
        "violations": sorted({v["control_id"] for v in result.violations}),
        "checks": [v["check"] for v in result.violations],
        "findings": [{k: v[k] for k in ("control_id", "check", "reason")} for v in result.violations],
        "exempt": result.path == workflow.EXEMPT,
        "exemption": None,
        "exemption_problem": None,
        "error": None,
    }
    region = RegionResult(result.region, rows=[row])
    return AuditReport([region], time=utc_timestamp(), version=package_version(), settings=settings, account=account)

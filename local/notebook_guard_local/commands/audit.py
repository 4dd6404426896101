"""``notebook-guard audit``: a read-only report of every notebook instance in one region, several, or all.

The policy is the deployed stack's: ``--settings cdk.json`` (read by default when ./cdk.json is
notebook-guard's) is validated by the stack's own settings code, so the command and the deployed sweep judge
a notebook the same way. The scan itself is the sweep's (see ``auditing``).
"""

from __future__ import annotations

import argparse
import sys

from notebook_guard_local.commands.common import (
    AWS_ENVIRONMENT_HELP,
    EXIT_OK,
    EXIT_USAGE_OR_AWS_ERROR,
    EXIT_VIOLATIONS,
    CommandError,
    fail,
    notice,
)

NAME = "audit"
OUTPUTS = ("table", "json", "csv", "sarif")

EPILOG = (
    """\
Exit codes:
  0  no notebook is in violation (exempt notebooks do not count)
  3  at least one notebook is in violation and not exempt
  2  usage error, AWS error, or a notebook or region that could not be evaluated

Examples:
  notebook-guard audit --region eu-west-1
  notebook-guard audit --region eu-west-1 --region us-east-1 --output csv > notebooks.csv
  notebook-guard --profile security audit --all-regions --output sarif > notebooks.sarif
  notebook-guard audit --settings ../notebook-guard/cdk.json --output json > audit.json
  notebook-guard audit --approved-subnets subnet-0abc,subnet-0def --root-access allowed
  notebook-guard audit --endpoint-url http://127.0.0.1:5000 --region us-east-1   # a local moto server

"""
    + AWS_ENVIRONMENT_HELP
)


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        NAME,
        help="report every notebook instance and its violations (read-only)",
        description=(
            "Report every SageMaker notebook instance in the region(s): name, status, subnet, the Security Hub "
            "controls it violates (SageMaker.1/.2/.3) and whether it is exempt, judged with the deployed stack's "
            "settings. Changes nothing."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--all-regions",
        action="store_true",
        help="every region enabled for the account that has SageMaker (EC2 DescribeRegions), audited concurrently",
    )
    parser.add_argument(
        "--format", dest="output", choices=OUTPUTS, default=argparse.SUPPRESS, help="same as --output (kept)"
    )
    settings = parser.add_argument_group("policy (default: the stack's settings)")
    settings.add_argument(
        "--settings",
        metavar="FILE",
        help="the stack's cdk.json (or a JSON object of settings); default: ./cdk.json when it holds "
        "notebook-guard's settings",
    )
    settings.add_argument("--no-settings", action="store_true", help="do not read ./cdk.json; judge with defaults")
    settings.add_argument(
        "--approved-subnets",
        metavar="SUBNET[,SUBNET...]",
        default=None,
        help="the whole list of subnets notebooks may use; any other subnet violates SageMaker.2 (replaces the "
        "settings' approved_subnet_ids and the stack's own subnets)",
    )
    settings.add_argument(
        "--exempt-tag",
        metavar="KEY",
        default=None,
        help="tag whose value (a reason) exempts a notebook; KEY-until may hold an ISO end date (overrides exempt_tag)",
    )
    settings.add_argument(
        "--root-access",
        choices=("allowed", "disabled"),
        default=None,
        help="'disabled' makes root access a SageMaker.3 violation (overrides root_access; default: disabled)",
    )
    settings.add_argument(
        "--stack-name",
        default=None,
        metavar="NAME",
        help="the deployed stack, read only when approved subnets are set and the stack made its own network "
        "(its subnets are approved too; default: NotebookGuard)",
    )
    parser.add_argument(
        "--violations-only", action="store_true", help="list only notebooks in violation (exempt ones included)"
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=None,
        metavar="N",
        help="Describe calls in flight per region (default: 8, max 32)",
    )
    parser.set_defaults(run=run)
    return parser


def run(args: argparse.Namespace) -> int:
    from notebook_guard.domain.timestamps import utc_timestamp
    from notebook_guard_local.auditing import audit, regions_to_audit, totals
    from notebook_guard_local.reports import AuditReport
    from notebook_guard_local.stack_settings import STACK_NAME, load_policy, with_stack_subnets
    from notebook_guard_local.version import package_version
    from notebook_guard_local.wording import plural

    if args.concurrency is not None and not 1 <= args.concurrency <= 32:
        raise CommandError(f"--concurrency: an integer from 1 to 32, got {args.concurrency}")
    overrides = {
        "approved_subnet_ids": args.approved_subnets,
        "exempt_tag": args.exempt_tag,
        "root_access": args.root_access,
    }
    flags = {"approved_subnet_ids": "--approved-subnets", "exempt_tag": "--exempt-tag", "root_access": "--root-access"}
    policy, note = load_policy(
        args.settings, use_default_file=not args.no_settings, overrides=overrides, flags=flags
    )
    if note:
        notice(args, note)
    choice = regions_to_audit(args.regions, args.all_regions)
    if choice.note:
        notice(args, choice.note)
    policy = with_stack_subnets(policy, choice.regions, args.stack_name or STACK_NAME)
    if policy.source != "defaults":
        notice(args, f"policy from {policy.source}: {describe_policy(policy)}")

    results = audit(policy, choice.regions, args.concurrency, show_progress=None if not args.quiet else False)
    failed = [r for r in results if r.error]
    if len(results) == 1 and failed:
        raise failed[0].exception  # one region: its error is the command's (one line, exit 2)
    account = account_of(results, choice.regions[0]) if args.output != "table" else None

    report = AuditReport(
        results=results,
        time=utc_timestamp(),
        version=package_version(),
        settings=policy.to_dict(),
        account=account,
        violations_only=args.violations_only,
    )
    getattr(report, f"write_{args.output}")(sys.stdout)
    sys.stdout.flush()

    counts = totals(results)
    for result in failed:
        fail(f"{result.region}: {result.error}")
    if counts["errors"]:
        fail(f"{plural(counts['errors'], 'notebook')} could not be evaluated; the audit is incomplete")
    if failed or counts["errors"]:
        return EXIT_USAGE_OR_AWS_ERROR
    return EXIT_VIOLATIONS if counts["violating"] else EXIT_OK


def account_of(results, region: str) -> str:
    """The account, from a notebook's ARN (no extra call: the audit stays at the API's minimum), or from STS
    GetCallerIdentity when no notebook was found."""
    for result in results:
        for row in result.rows:
            if row["arn"]:
                return row["arn"].split(":")[4]
    from notebook_guard.aws.account import caller_account

    return caller_account(region)


def describe_policy(policy) -> str:
    approved = ", ".join(policy.approved_subnet_ids) or "any subnet"
    created = sorted({s for ids in policy.stack_subnet_ids.values() for s in ids})
    if created:
        approved += f" + the stack's own {', '.join(created)}"
    return f"approved subnets {approved}; exempt tag {policy.exempt_tag}; root access {policy.root_access}"

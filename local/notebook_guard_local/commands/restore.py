"""``notebook-guard restore SNAPSHOT``: recreate a notebook from its snapshot."""

from __future__ import annotations

import argparse
import json
import sys

from notebook_guard_local.commands.common import AWS_ENVIRONMENT_HELP, single_region

NAME = "restore"
OUTPUTS = ("table", "json", "csv")

DESCRIPTION = """\
Recreate a notebook instance from a snapshot written by the remediation workflow (the document under
s3://BUCKET/snapshots/NAME/EXECUTION/ATTEMPT.json, named in every alert and in the notebook's
notebook-guard:snapshot tag), or from a local copy of one (demo --keep-snapshots DIR writes some). The snapshot is
read, its schema and checksum verified, and the restore refused if a notebook of that name exists (restore
under another name with --name). By default the notebook is restored AS REMEDIATED: into the private subnet
and security groups the snapshot's plan recorded, without direct internet access. With --original-network it
is restored exactly as it was before the remediation (its original subnet or none, internet access and root
access), e.g. to undo.

Only the configuration comes back: the snapshot is not a disk snapshot, and the ML storage volume
(/home/ec2-user/SageMaker) of a deleted notebook cannot be recovered."""

EPILOG = """\
Examples:
  notebook-guard restore s3://notebook-guard-snapshots/snapshots/churn-forecast/EXECUTION/1.json
  notebook-guard restore snapshots/churn-forecast/EXECUTION/1.json --bucket notebook-guard-snapshots \
      --version-id 3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY
  notebook-guard restore s3://.../EXECUTION/1.json --name churn-forecast-restored --dry-run
  notebook-guard restore --dry-run --offline demo-snapshots/snapshots/churn-forecast/EXECUTION/1.json

Exit codes: 0 restored (or, with --dry-run, would restore), 2 usage or AWS error, missing or invalid snapshot,
or a notebook of that name exists.
"""


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        NAME,
        help="recreate a notebook from its snapshot (refuses when a notebook of that name exists)",
        description=DESCRIPTION,
        epilog=EPILOG + "\n" + AWS_ENVIRONMENT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "snapshot", metavar="SNAPSHOT", help="s3://bucket/key of the snapshot, its key with --bucket, or a local file"
    )
    parser.add_argument("--bucket", help="snapshot bucket, when SNAPSHOT is a key")
    parser.add_argument(
        "--version-id",
        help="the snapshot's version, as the alert or the audit record names it (default: the latest version)",
    )
    parser.add_argument("--name", dest="new_name", metavar="NEW", help="restore under this name instead")
    parser.add_argument(
        "--original-network",
        action="store_true",
        help="restore with the network and root access the notebook had before remediation (default: as "
        "remediated, in the private subnet recorded in the snapshot)",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="verify and print the request; create nothing (works while the notebook exists)",
    )
    parser.add_argument(
        "--offline",
        action="store_true",
        help="with --dry-run and a local file: verify the file only, without any AWS call",
    )
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
    from notebook_guard_local.restoring import RestoreOptions, restore_from_snapshot

    options = RestoreOptions(
        bucket=args.bucket,
        version_id=args.version_id,
        original_network=args.original_network,
        dry_run=args.dry_run,
        region=single_region(args),
        new_name=args.new_name,
        offline=args.offline,
    )
    result = restore_from_snapshot(args.snapshot, options)
    if args.output == "table":
        print_restore(result)
    elif args.output == "json":
        from notebook_guard.aws.account import caller_account
        from notebook_guard_local.reports import envelope

        account = None if options.offline else caller_account(result.region)
        regions = [result.region] if result.region else []
        document = envelope("notebook-guard/restore", regions=regions, settings=settings_of(options), account=account)
        json.dump(document | result.to_dict(), sys.stdout, indent=2, default=str)
        sys.stdout.write("\n")
    else:
        from notebook_guard_local.reports import request_rows, write_sections_csv

        rows = [(k, "", str(v)) for k, v in result.to_dict().items() if k not in ("request", "notes")]
        rows += [("note", "", note) for note in result.notes]
        write_sections_csv(sys.stdout, rows + request_rows(result.request))
    return 0


def settings_of(options) -> dict:
    return {
        "original_network": options.original_network,
        "dry_run": options.dry_run,
        "name": options.new_name,
        "offline": options.offline,
    }


def print_restore(result) -> None:
    where = result.request.get("SubnetId") or "no VPC (SageMaker service network)"
    verb = "Would create" if result.dry_run else "Created"
    print(f"{verb} notebook {result.notebook_name} from {result.snapshot}")
    print(f"  network: {result.network}, subnet {where}")
    for note in result.notes:
        print(f"  note: {note}")
    if result.arn:
        print(f"  arn: {result.arn} (Pending; it is InService in a few minutes)")
    print("  only the configuration is restored: the deleted notebook's storage volume is not in the snapshot")
    print("CreateNotebookInstance request:")
    print(json.dumps(result.request, indent=2, default=str))

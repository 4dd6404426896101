"""``notebook-guard audit``: a read-only report of every notebook instance in a region.

It scans with the sweep's own code (``notebook_guard.services.scan``), so the command and the Lambda judge a
notebook the same way and make the same AWS calls: the listing, one Describe per notebook, and ListTags only
for a notebook in violation (exemptions live in tags).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from typing import TextIO

from notebook_guard_local.commands.common import (
    AWS_ENVIRONMENT_HELP,
    EXIT_OK,
    EXIT_USAGE_OR_AWS_ERROR,
    EXIT_VIOLATIONS,
    CommandError,
    add_region_option,
    fail,
    resolve_region,
)

NAME = "audit"

EPILOG = (
    """\
Exit codes:
  0  no notebook is in violation (exempt notebooks do not count)
  3  at least one notebook is in violation and not exempt
  2  usage error, AWS error, or a notebook that could not be evaluated

Examples:
  notebook-guard audit --region eu-west-1
  AWS_PROFILE=security notebook-guard audit --format json > audit.json
  notebook-guard audit --approved-subnets subnet-0abc,subnet-0def --root-access allowed
  AWS_ENDPOINT_URL=http://127.0.0.1:5000 notebook-guard audit --region us-east-1   # a local moto server

"""
    + AWS_ENVIRONMENT_HELP
)


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        NAME,
        help="report every notebook instance and its violations (read-only)",
        description=(
            "Report every SageMaker notebook instance in the region: name, status, subnet, the Security Hub "
            "controls it violates (SageMaker.1/.2/.3) and whether it is exempt. Changes nothing."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_region_option(parser, top_level=False)
    parser.add_argument("--format", choices=("table", "json"), default="table", help="output format (default: table)")
    parser.add_argument(
        "--approved-subnets",
        metavar="SUBNET[,SUBNET...]",
        default="",
        help="subnets notebooks may use; any other subnet violates SageMaker.2 (default: any subnet)",
    )
    parser.add_argument(
        "--exempt-tag",
        metavar="KEY",
        default=None,
        help="tag whose value (a reason) exempts a notebook; KEY-until may hold an ISO end date "
        "(default: notebook-guard:exempt)",
    )
    parser.add_argument(
        "--root-access",
        choices=("allowed", "disabled"),
        default="disabled",
        help="whether root access on a notebook is allowed; 'disabled' makes it a SageMaker.3 violation "
        "(default: disabled)",
    )
    parser.add_argument(
        "--violations-only", action="store_true", help="list only notebooks in violation (exempt ones included)"
    )
    parser.add_argument(
        "--concurrency", type=int, default=None, metavar="N", help="Describe calls in flight (default: 8, max 32)"
    )
    parser.set_defaults(run=run)
    return parser


def build_settings(args: argparse.Namespace, region: str):
    from pydantic import ValidationError

    from notebook_guard.settings import Settings

    values: dict[str, object] = {
        "region": region,
        "approved_subnet_ids": tuple(s.strip() for s in args.approved_subnets.split(",") if s.strip()),
        "root_access": args.root_access,
    }
    if args.exempt_tag is not None:
        values["exempt_tag"] = args.exempt_tag
    if args.concurrency is not None:
        values["sweep_concurrency"] = args.concurrency
    options = {
        "approved_subnet_ids": "--approved-subnets",
        "exempt_tag": "--exempt-tag",
        "sweep_concurrency": "--concurrency",
        "region": "--region",
    }
    try:
        return Settings(**values)
    except ValidationError as error:
        problems = "; ".join(f"{options.get(str(e['loc'][0]), e['loc'][0])}: {e['msg']}" for e in error.errors())
        raise CommandError(problems) from None


def row_of(item) -> dict:
    """One notebook of the report (a ``ScanItem`` from the scan)."""
    if item.evaluation is None:
        return {
            "name": item.name,
            "status": None,
            "subnet_id": None,
            "violations": [],
            "checks": [],
            "exempt": False,
            "exemption": None,
            "exemption_problem": None,
            "error": item.error,
        }
    evaluation = item.evaluation
    return {
        "name": evaluation.notebook.name,
        "status": evaluation.notebook.status,
        "subnet_id": evaluation.notebook.subnet_id,
        "violations": evaluation.control_ids,
        "checks": [v.check for v in evaluation.violations],
        "exempt": evaluation.exempt,
        "exemption": evaluation.exemption.to_dict() if evaluation.exemption else None,
        "exemption_problem": evaluation.exemption_problem,
        "error": None,
    }


def collect(settings, show_progress: bool | None = None) -> tuple[list[dict], Counter]:
    """Scan the region; returns the report rows (sorted by name) and the summary counts."""
    from notebook_guard.aws import sagemaker
    from notebook_guard.services.scan import scan
    from notebook_guard_local.progress import Progress

    rows: list[dict] = []
    counts: Counter = Counter(notebooks=0, violating=0, exempt=0, compliant=0, errors=0, gone=0)
    with Progress(total=0, enabled=show_progress) as progress:

        def listed():
            # The pool starts describing a page's notebooks while the next page is fetched; the bar's total
            # grows as pages arrive.
            for name in sagemaker.iter_notebook_names(settings.region):
                progress.total += 1
                yield name

        for item in scan(settings, names=listed()):
            progress.advance()
            if item.gone:
                counts["gone"] += 1
                continue
            counts["notebooks"] += 1
            if item.error:
                counts["errors"] += 1
            elif item.evaluation.compliant:
                counts["compliant"] += 1
            elif item.evaluation.exempt:
                counts["exempt"] += 1
            else:
                counts["violating"] += 1
            rows.append(row_of(item))
    rows.sort(key=lambda row: row["name"])
    return rows, counts


def render_table(rows: list[dict], counts: Counter, region: str, out: TextIO) -> None:
    headers = ("NAME", "STATUS", "SUBNET", "VIOLATIONS", "EXEMPT", "NOTE")
    table = [
        (
            row["name"],
            row["status"] or "?",
            row["subnet_id"] or "-",
            ",".join(row["violations"]) or "-",
            "yes" if row["exempt"] else ("no" if row["violations"] else "-"),
            row["error"]
            or row["exemption_problem"]
            or ((row["exemption"] or {}).get("reason") or ""),
        )
        for row in rows
    ]
    widths = [max([len(h)] + [len(r[i]) for r in table]) for i, h in enumerate(headers)]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    if table:
        print(line.format(*headers).rstrip(), file=out)
        for cells in table:
            print(line.format(*cells).rstrip(), file=out)
        print(file=out)
    print(
        f"{region}: {counts['notebooks']} notebooks, {counts['violating']} in violation, "
        f"{counts['exempt']} exempt, {counts['compliant']} compliant, {counts['errors']} not evaluated",
        file=out,
    )


def run(args: argparse.Namespace) -> int:
    region = resolve_region(args.region)
    settings = build_settings(args, region)
    rows, counts = collect(settings)
    shown = [r for r in rows if r["violations"] or r["error"]] if args.violations_only else rows
    if args.format == "json":
        json.dump({"region": region, "summary": dict(counts), "notebooks": shown}, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        render_table(shown, counts, region, sys.stdout)
    if counts["errors"]:
        fail(f"{counts['errors']} notebook(s) could not be evaluated; the audit is incomplete")
        return EXIT_USAGE_OR_AWS_ERROR
    return EXIT_VIOLATIONS if counts["violating"] else EXIT_OK

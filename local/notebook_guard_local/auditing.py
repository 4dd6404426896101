"""``audit``'s work: which regions, the scan of each (concurrently), and the report's facts.

Each region is scanned with the sweep Lambda's own code (``notebook_guard.services.scan``), so the command and
the deployed sweep judge a notebook the same way and make the same calls: the listing, one Describe per
notebook, and ListTags only for a notebook in violation (exemptions live in tags).
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from notebook_guard_local.aws_access import (
    CommandError,
    describe_aws_error,
    partition_of,
    resolve_region,
    sagemaker_regions,
    validate_region,
)
from notebook_guard_local.stack_settings import Policy

# Regions scanned at once; each scan has its own pool of Describe calls (--concurrency).
REGION_CONCURRENCY = 4
FALLBACK_HOME_REGION = "us-east-1"


@dataclass
class RegionResult:
    region: str
    rows: list[dict] = field(default_factory=list)
    counts: Counter = field(
        default_factory=lambda: Counter(notebooks=0, violating=0, exempt=0, compliant=0, errors=0, gone=0)
    )
    error: str | None = None  # the region could not be scanned at all (one line)
    exception: BaseException | None = None


@dataclass
class RegionChoice:
    regions: list[str]
    note: str | None = None


def regions_to_audit(requested: list[str], all_regions: bool) -> RegionChoice:
    """The regions given (validated, in order, once each), the default region, or every enabled region.

    ``--all-regions`` asks EC2 DescribeRegions for the regions *enabled for the account* (an opt-in region the
    account has not enabled would answer every call with an authentication error) and keeps those where
    botocore knows a SageMaker endpoint (SageMaker is not in every region).
    """
    if all_regions:
        if requested:
            raise CommandError("choose --region or --all-regions, not both")
        from notebook_guard.aws import account

        try:
            home = resolve_region(None)
        except CommandError:
            home = FALLBACK_HOME_REGION
        enabled = account.enabled_regions(home)
        available = sagemaker_regions(partition_of(home))
        chosen = [r for r in enabled if r in available]
        skipped = [r for r in enabled if r not in available]
        partition = partition_of(home)
        note = f"auditing {len(chosen)} enabled regions with SageMaker" + (
            f" (skipped, no SageMaker endpoint in partition {partition}: {', '.join(skipped)})" if skipped else ""
        )
        return RegionChoice(chosen, note)
    if not requested:
        return RegionChoice([resolve_region(None)])
    return RegionChoice(list(dict.fromkeys(validate_region(r) for r in requested)))


def runtime_settings(policy: Policy, region: str, concurrency: int | None):
    """The settings the sweep Lambda of ``region`` runs with, for the scan."""
    from pydantic import ValidationError

    from notebook_guard.settings import Settings

    values: dict[str, object] = {
        "region": region,
        "approved_subnet_ids": policy.approved_in(region),
        "exempt_tag": policy.exempt_tag,
        "root_access": policy.root_access,
    }
    if concurrency is not None:
        values["sweep_concurrency"] = concurrency
    try:
        return Settings(**values)
    except ValidationError as error:
        options = {"sweep_concurrency": "--concurrency"}
        problems = "; ".join(f"{options.get(str(e['loc'][0]), e['loc'][0])}: {e['msg']}" for e in error.errors())
        raise CommandError(problems) from None


def row_of(item, region: str) -> dict:
    """One notebook of the report (a ``ScanItem`` from the scan)."""
    if item.evaluation is None:
        return {
            "region": region,
            "name": item.name,
            "arn": None,
            "status": None,
            "subnet_id": None,
            "violations": [],
            "checks": [],
            "findings": [],
            "exempt": False,
            "exemption": None,
            "exemption_problem": None,
            "error": item.error,
        }
    evaluation = item.evaluation
    return {
        "region": region,
        "name": evaluation.notebook.name,
        "arn": evaluation.notebook.arn,
        "status": evaluation.notebook.status,
        "subnet_id": evaluation.notebook.subnet_id,
        "violations": evaluation.control_ids,
        "checks": [v.check for v in evaluation.violations],
        "findings": [{"control_id": v.control_id, "check": v.check, "reason": v.reason} for v in evaluation.violations],
        "exempt": evaluation.exempt,
        "exemption": evaluation.exemption.to_dict() if evaluation.exemption else None,
        "exemption_problem": evaluation.exemption_problem,
        "error": None,
    }


def scan_region(settings, progress) -> RegionResult:
    """Scan one region; a failure of the whole region (listing refused, endpoint unreachable) is recorded."""
    from botocore.exceptions import BotoCoreError, ClientError
    from botocore.parsers import ResponseParserError

    from notebook_guard.aws import sagemaker
    from notebook_guard.services.scan import scan

    result = RegionResult(settings.region)

    def listed():
        # The pool starts describing a page's notebooks while the next page is fetched; the bar's total grows.
        for name in sagemaker.iter_notebook_names(settings.region):
            progress.grow()
            yield name

    try:
        for item in scan(settings, names=listed()):
            progress.advance()
            if item.gone:
                result.counts["gone"] += 1
                continue
            result.counts["notebooks"] += 1
            if item.error:
                result.counts["errors"] += 1
            elif item.evaluation.compliant:
                result.counts["compliant"] += 1
            elif item.evaluation.exempt:
                result.counts["exempt"] += 1
            else:
                result.counts["violating"] += 1
            result.rows.append(row_of(item, settings.region))
    except (BotoCoreError, ClientError, ResponseParserError) as error:
        result.error, result.exception = describe_aws_error(error), error
    result.rows.sort(key=lambda row: row["name"])
    return result


def audit(
    policy: Policy, regions: list[str], concurrency: int | None, show_progress: bool | None
) -> list[RegionResult]:
    """Scan ``regions`` concurrently; results in the order of ``regions``."""
    from notebook_guard_local.progress import Progress

    settings = [runtime_settings(policy, region, concurrency) for region in regions]
    with (
        Progress(total=0, enabled=show_progress) as progress,
        ThreadPoolExecutor(max_workers=max(1, min(len(regions), REGION_CONCURRENCY))) as pool,
    ):
        return list(pool.map(lambda s: scan_region(s, progress), settings))


def totals(results: list[RegionResult]) -> Counter:
    total: Counter = Counter(notebooks=0, violating=0, exempt=0, compliant=0, errors=0, gone=0)
    for result in results:
        total.update(result.counts)
    return total

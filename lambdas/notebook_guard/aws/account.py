"""The account behind the credentials, and the regions it has enabled (for the command line's reports)."""

from __future__ import annotations

from notebook_guard.aws.clients import client


def caller_account(region: str | None = None) -> str:
    """The account id of the caller (STS GetCallerIdentity: needs no IAM permission, per the STS API reference)."""
    return client("sts", region).get_caller_identity()["Account"]


def enabled_regions(region: str | None = None) -> list[str]:
    """The regions enabled for the account (EC2 DescribeRegions without AllRegions), sorted.

    Opt-in regions the account has not enabled are left out: a call there fails with an authentication error.
    """
    response = client("ec2", region).describe_regions(AllRegions=False)
    return sorted(r["RegionName"] for r in response.get("Regions", []))

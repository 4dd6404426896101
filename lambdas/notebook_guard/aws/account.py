"""Who is calling (the command line's reports, an approver's identity), and the regions the account has enabled."""

from __future__ import annotations

from notebook_guard.aws.clients import client


def caller_identity(region: str | None = None) -> dict:
    """Who the credentials are: Account, Arn, UserId (STS GetCallerIdentity: needs no IAM permission, per the STS
    API reference)."""
    identity = client("sts", region).get_caller_identity()
    return {key: identity[key] for key in ("Account", "Arn", "UserId")}


def caller_account(region: str | None = None) -> str:
    """The account id of the caller."""
    return caller_identity(region)["Account"]


def caller_arn(region: str | None = None) -> str:
    """The caller's ARN (an approver's identity)."""
    return caller_identity(region)["Arn"]


def enabled_regions(region: str | None = None) -> list[str]:
    """The regions enabled for the account (EC2 DescribeRegions without AllRegions), sorted.

    Opt-in regions the account has not enabled are left out: a call there fails with an authentication error.
    """
    response = client("ec2", region).describe_regions(AllRegions=False)
    return sorted(r["RegionName"] for r in response.get("Regions", []))

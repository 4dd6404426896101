"""Describe the target network: subnets, route tables, security groups, VPC endpoints, NAT gateways."""

from __future__ import annotations

from botocore.exceptions import ClientError

from notebook_guard.aws.clients import client
from notebook_guard.aws.errors import error_code


def describe_subnet(subnet_id: str, region: str | None = None) -> dict | None:
    try:
        subnets = client("ec2", region).describe_subnets(SubnetIds=[subnet_id])["Subnets"]
    except ClientError as error:
        if error_code(error) in ("InvalidSubnetID.NotFound", "InvalidSubnetID.Malformed"):
            return None
        raise
    return subnets[0] if subnets else None


def _all(operation: str, key: str, region: str | None, **kwargs) -> list[dict]:
    paginator = client("ec2", region).get_paginator(operation)
    return [item for page in paginator.paginate(**kwargs) for item in page.get(key, [])]


def subnets(subnet_ids: tuple[str, ...], region: str | None = None) -> list[dict]:
    """The subnets that exist among ``subnet_ids`` (a filter, so a missing one is absent rather than an error for
    the whole call), with their zone, CIDR, IPv6 blocks and free addresses."""
    if not subnet_ids:
        return []
    return _all("describe_subnets", "Subnets", region, Filters=[{"Name": "subnet-id", "Values": list(subnet_ids)}])


def nat_gateways_of_vpc(vpc_id: str, region: str | None = None) -> list[dict]:
    """The VPC's NAT gateways with their state and connectivity type (public or private)."""
    return _all("describe_nat_gateways", "NatGateways", region, Filter=[{"Name": "vpc-id", "Values": [vpc_id]}])


def route_tables_of_vpc(vpc_id: str, region: str | None = None) -> list[dict]:
    return _all("describe_route_tables", "RouteTables", region, Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])


def security_groups(group_ids: tuple[str, ...], region: str | None = None) -> list[dict]:
    """The groups that exist among ``group_ids`` (missing ones are simply absent from the result)."""
    if not group_ids:
        return []
    return _all(
        "describe_security_groups", "SecurityGroups", region, Filters=[{"Name": "group-id", "Values": list(group_ids)}]
    )


def vpc_endpoints(vpc_id: str, region: str | None = None) -> list[dict]:
    return _all("describe_vpc_endpoints", "VpcEndpoints", region, Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])


def vpc_dns_attributes(vpc_id: str, region: str | None = None) -> dict[str, bool]:
    """``enableDnsSupport`` and ``enableDnsHostnames`` of a VPC (interface endpoints' private DNS needs both)."""
    ec2 = client("ec2", region)
    result = {}
    for attribute, key in (("enableDnsSupport", "EnableDnsSupport"), ("enableDnsHostnames", "EnableDnsHostnames")):
        answer = ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute=attribute)
        result[attribute] = bool(answer.get(key, {}).get("Value"))
    return result

"""The path from the recreated notebook to what it needs: S3 route, TCP 443 through the security groups, free
addresses, IPv6, a way to the internet, endpoint zones; the KMS key's metadata and policy (pure)."""

from __future__ import annotations

import pytest

from notebook_guard.domain import keys, network
from notebook_guard.domain.recreate import Target, address_type_in, plan_create_request, request_in_subnet

REGION = "us-east-1"
SUBNET = {"SubnetId": "subnet-a", "CidrBlock": "10.0.1.0/24", "AvailabilityZone": "us-east-1a", "VpcId": "vpc-1"}
TABLE = {
    "RouteTableId": "rtb-1",
    "Routes": [
        {"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local", "State": "active"},
        {"DestinationPrefixListId": "pl-s3", "GatewayId": "vpce-s3", "State": "active"},
    ],
}
S3_GATEWAY = {
    "VpcEndpointId": "vpce-s3",
    "ServiceName": f"com.amazonaws.{REGION}.s3",
    "VpcEndpointType": "Gateway",
    "RouteTableIds": ["rtb-1"],
}
STS = {
    "VpcEndpointId": "vpce-sts",
    "ServiceName": f"com.amazonaws.{REGION}.sts",
    "VpcEndpointType": "Interface",
    "SubnetIds": ["subnet-e"],
    "Groups": [{"GroupId": "sg-endpoints"}],
}


def rule(port_from=443, port_to=443, protocol="tcp", groups=(), cidrs=(), prefix_lists=()):
    return {
        "IpProtocol": protocol,
        "FromPort": port_from,
        "ToPort": port_to,
        "UserIdGroupPairs": [{"GroupId": g} for g in groups],
        "IpRanges": [{"CidrIp": c} for c in cidrs],
        "PrefixListIds": [{"PrefixListId": p} for p in prefix_lists],
    }


def group(group_id, ingress=(), egress=()):
    return {"GroupId": group_id, "IpPermissions": list(ingress), "IpPermissionsEgress": list(egress)}


def path_problems(notebook_group, endpoint_group, table=TABLE):
    groups = {g["GroupId"]: g for g in (notebook_group, endpoint_group)}
    return network.security_path_problems(
        SUBNET, table, [notebook_group], ("sts", "s3"), [STS, S3_GATEWAY], groups, {"vpce-sts": ["10.0.9.0/24"]}, REGION
    )


@pytest.mark.parametrize(
    "ingress",
    [rule(groups=["sg-notebook"]), rule(cidrs=["10.0.0.0/16"]), rule(protocol="-1", cidrs=["10.0.1.0/24"]),
     rule(0, 65535, groups=["sg-notebook"])],
)
def test_an_endpoint_group_admitting_443_from_the_notebook_by_group_or_covering_cidr_passes(ingress):
    notebook = group("sg-notebook", egress=[rule(protocol="-1", cidrs=["0.0.0.0/0"])])
    assert path_problems(notebook, group("sg-endpoints", ingress=[ingress])) == []


@pytest.mark.parametrize(
    "ingress", [rule(22, 22, groups=["sg-notebook"]), rule(cidrs=["10.0.2.0/24"]), rule(groups=["sg-other"])]
)
def test_an_endpoint_group_that_does_not_admit_the_notebook_is_a_problem(ingress):
    notebook = group("sg-notebook", egress=[rule(protocol="-1", cidrs=["0.0.0.0/0"])])
    (problem,) = path_problems(notebook, group("sg-endpoints", ingress=[ingress]))
    assert "do not admit TCP 443" in problem and "vpce-sts" in problem


def test_notebook_egress_must_reach_the_endpoints_and_s3():
    endpoints = group("sg-endpoints", ingress=[rule(groups=["sg-notebook"])])
    to_endpoints_only = group("sg-notebook", egress=[rule(groups=["sg-endpoints"])])
    (problem,) = path_problems(to_endpoints_only, endpoints)
    assert "out to S3" in problem
    via_prefix_list = group("sg-notebook", egress=[rule(groups=["sg-endpoints"]), rule(prefix_lists=["pl-s3"])])
    assert path_problems(via_prefix_list, endpoints) == []
    by_cidr = group("sg-notebook", egress=[rule(cidrs=["10.0.0.0/16"]), rule(prefix_lists=["pl-s3"])])
    assert path_problems(by_cidr, endpoints) == []
    nothing_out = group("sg-notebook")
    assert len(path_problems(nothing_out, endpoints)) == 2


def test_the_s3_gateway_must_be_on_the_subnets_route_table():
    assert network.s3_route_problem("subnet-a", TABLE, ("s3",), [S3_GATEWAY], REGION) is None
    other = {**TABLE, "RouteTableId": "rtb-2"}
    problem = network.s3_route_problem("subnet-a", other, ("s3",), [S3_GATEWAY], REGION)
    assert "not associated with route table rtb-2" in problem
    interface = {**STS, "ServiceName": f"com.amazonaws.{REGION}.s3"}
    assert network.s3_route_problem("subnet-a", other, ("s3",), [S3_GATEWAY, interface], REGION) is None


def test_free_addresses_and_ipv6():
    assert network.free_ip_problem({**SUBNET, "AvailableIpAddressCount": 3}) is None
    assert "no free IP address" in network.free_ip_problem({**SUBNET, "AvailableIpAddressCount": 0})
    assert not network.has_ipv6(SUBNET)
    v6 = {"Ipv6CidrBlock": "2600:1f18::/64", "Ipv6CidrBlockState": {"State": "associated"}}
    assert network.has_ipv6({**SUBNET, "Ipv6CidrBlockAssociationSet": [v6]})
    gone = {**v6, "Ipv6CidrBlockState": {"State": "disassociated"}}
    assert not network.has_ipv6({**SUBNET, "Ipv6CidrBlockAssociationSet": [gone]})


def test_endpoint_zone_gaps_name_the_zone():
    zones = {"subnet-e": "us-east-1b"}
    (gap,) = network.endpoint_zone_gaps("us-east-1a", ("sts", "s3"), [STS, S3_GATEWAY], zones, REGION)
    assert "no network interface in us-east-1a" in gap and "us-east-1b" in gap
    assert network.endpoint_zone_gaps("us-east-1b", ("sts",), [STS], zones, REGION) == []


def default_route(**target):
    return {**TABLE, "Routes": [*TABLE["Routes"], {"DestinationCidrBlock": "0.0.0.0/0", "State": "active", **target}]}


@pytest.mark.parametrize(
    "target, nats, kind, assumed",
    [
        ({"NatGatewayId": "nat-1"}, [{"NatGatewayId": "nat-1", "State": "available"}], "NAT gateway", False),
        (
            {"NatGatewayId": "nat-1"},
            [{"NatGatewayId": "nat-1", "State": "available", "ConnectivityType": "private"}],
            "private NAT gateway",
            True,
        ),
        ({"InstanceId": "i-1", "NetworkInterfaceId": "eni-1"}, [], "NAT instance", True),
        ({"TransitGatewayId": "tgw-1"}, [], "transit gateway", True),
        ({"GatewayId": "vpce-fw"}, [], "firewall or Gateway Load Balancer endpoint", True),
    ],
)
def test_ways_to_the_internet(target, nats, kind, assumed):
    egress = network.egress_of(default_route(**target), nats)
    assert egress.exists and egress.kind == kind and egress.assumed is assumed


@pytest.mark.parametrize(
    "table, nats, why",
    [
        (TABLE, [], "no 0.0.0.0/0 route"),
        (default_route(NatGatewayId="nat-1"), [{"NatGatewayId": "nat-1", "State": "deleted"}], "deleted"),
        (default_route(NatGatewayId="nat-1"), [], "not found"),
        ({**default_route(NatGatewayId="nat-1"), "Routes": [{"DestinationCidrBlock": "0.0.0.0/0", "State":
                                                             "blackhole", "NatGatewayId": "nat-1"}]}, [], "blackhole"),
        (default_route(NetworkInterfaceId="eni-1"), [], "does not lead to the internet"),
        (default_route(VpcPeeringConnectionId="pcx-1"), [], "does not lead to the internet"),
    ],
)
def test_no_way_to_the_internet(table, nats, why):
    egress = network.egress_of(table, nats)
    assert not egress.exists and why in egress.why


# IPv6: the snapshot's plan decides ----------------------------------------------------------------------------------
def test_a_dualstack_notebook_keeps_dualstack_only_where_ipv6_exists():
    assert address_type_in("dualstack", "subnet-a", True, "none").ip_address_type == "dualstack"
    blocked = address_type_in("dualstack", "subnet-a", False, "none")
    assert "no IPv6 CIDR block" in blocked.problem and "ip_address_type_fallback=ipv4" in blocked.problem
    fallback = address_type_in("dualstack", "subnet-a", False, "ipv4")
    assert fallback.ip_address_type == "ipv4" and fallback.problem is None and "recreated as ipv4" in fallback.dropped
    assert address_type_in("ipv4", "subnet-a", False, "none") == address_type_in("ipv4", "subnet-a", True, "none")


def test_the_plan_falls_back_to_ipv4_and_lists_it_as_dropped():
    describe = {
        "NotebookInstanceName": "n",
        "InstanceType": "ml.t3.medium",
        "RoleArn": "arn:aws:iam::1:role/r",
        "IpAddressType": "dualstack",
    }
    target = Target("subnet-a", ("sg-1",), subnet_ipv6=False, ip_address_type_fallback="ipv4")
    plan = plan_create_request(describe, {}, target, "now", "s3://b/k")
    assert plan.request["IpAddressType"] == "ipv4" and any("recreated as ipv4" in d for d in plan.dropped)
    kept = plan_create_request(describe, {}, Target("subnet-a", ("sg-1",), subnet_ipv6=True), "now", "s3://b/k")
    assert kept.request["IpAddressType"] == "dualstack" and kept.dropped == []
    moved = request_in_subnet(plan.request, "subnet-b", "dualstack")
    assert moved["SubnetId"] == "subnet-b" and moved["IpAddressType"] == "dualstack"


# KMS -----------------------------------------------------------------------------------------------------------
ACCOUNT = "123456789012"
CREATE_ROLE = f"arn:aws:iam::{ACCOUNT}:role/notebook-guard-create"
DEFAULT_POLICY = {
    "Statement": [
        {"Sid": "Enable IAM User Permissions", "Effect": "Allow",
         "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*", "Resource": "*"}
    ]
}


@pytest.mark.parametrize(
    "metadata, problem",
    [
        (None, "does not exist"),
        ({"KeyState": "Disabled"}, "is Disabled, not Enabled"),
        ({"KeyState": "PendingDeletion"}, "PendingDeletion"),
        ({"KeyState": "Enabled", "KeySpec": "RSA_2048", "KeyUsage": "ENCRYPT_DECRYPT"}, "symmetric"),
        ({"KeyState": "Enabled", "KeySpec": "HMAC_256", "KeyUsage": "GENERATE_VERIFY_MAC"}, "symmetric"),
    ],
)
def test_key_metadata_problems(metadata, problem):
    assert problem in " ".join(keys.metadata_problems("k", metadata))


def test_an_enabled_symmetric_key_is_fine():
    assert keys.metadata_problems("k", {"KeyState": "Enabled", "KeySpec": "SYMMETRIC_DEFAULT"}) == []


def test_the_default_key_policy_enables_iam_policies():
    verdict = keys.evaluate_key_policy(DEFAULT_POLICY, "kms:CreateGrant", CREATE_ROLE, ACCOUNT)
    assert verdict.decision == keys.ALLOWED and verdict.via_iam


def test_a_key_policy_naming_other_principals_only_makes_the_iam_grant_useless():
    policy = {"Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/admin"},
                             "Action": "kms:*", "Resource": "*"}]}
    problems, warnings = keys.policy_findings("k", policy, {CREATE_ROLE: ("kms:CreateGrant",)}, ACCOUNT)
    assert "neither allows kms:CreateGrant" in problems[0] and warnings == []


def test_named_roles_conditions_and_denies():
    named = {"Statement": [{"Effect": "Allow", "Principal": {"AWS": [CREATE_ROLE]},
                            "Action": ["kms:CreateGrant", "kms:Describe*"], "Resource": "*"}]}
    assert keys.policy_findings("k", named, {CREATE_ROLE: ("kms:CreateGrant", "kms:DescribeKey")}, ACCOUNT) == ([], [])
    conditional = {"Statement": [{"Effect": "Allow", "Principal": {"AWS": CREATE_ROLE}, "Action": "kms:CreateGrant",
                                  "Resource": "*", "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}}}]}
    problems, warnings = keys.policy_findings("k", conditional, {CREATE_ROLE: ("kms:CreateGrant",)}, ACCOUNT)
    assert problems == [] and "only under conditions" in warnings[0]
    denied = {"Statement": [*DEFAULT_POLICY["Statement"],
                            {"Sid": "NoGrants", "Effect": "Deny", "Principal": "*", "Action": "kms:CreateGrant",
                             "Resource": "*"}]}
    problems, _ = keys.policy_findings("k", denied, {CREATE_ROLE: ("kms:CreateGrant",)}, ACCOUNT)
    assert "denies kms:CreateGrant" in problems[0] and "NoGrants" in problems[0]


# Capacity retries: which subnet next ------------------------------------------------------------------------------
def test_capacity_failures_move_to_a_subnet_in_another_zone():
    from notebook_guard.domain.workflow import is_capacity_failure, next_subnet, subnet_for_attempt

    reported = "Insufficient notebook instance capacity. Retry later or with a different instance type."
    assert is_capacity_failure(reported)
    assert is_capacity_failure("CapacityError: Unable to provision requested ML compute capacity.")
    assert not is_capacity_failure("Notebook Instance Lifecycle Config 'x' ... took longer than 5 minutes.")
    subnets = [
        {"subnet_id": "a1", "availability_zone": "z-a"},
        {"subnet_id": "a2", "availability_zone": "z-a"},
        {"subnet_id": "b1", "availability_zone": "z-b"},
    ]
    failed_a = [{"subnet_id": "a1", "availability_zone": "z-a", "failure_reason": "Insufficient capacity."}]
    assert next_subnet(subnets, failed_a)["subnet_id"] == "b1"  # not a2: its zone just ran out
    failed_b = {"subnet_id": "b1", "availability_zone": "z-b", "failure_reason": "insufficient capacity"}
    failed_both = [*failed_a, failed_b]
    assert next_subnet(subnets, failed_both) is None
    preflight = {"subnets": subnets}
    assert subnet_for_attempt(preflight, None)["subnet_id"] == "a1"
    assert subnet_for_attempt(preflight, {"next_subnet": "b1"})["subnet_id"] == "b1"
    assert subnet_for_attempt({}, None) is None

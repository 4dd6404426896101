"""Pure decisions of the workflow: wait schedule, recreate plan, snapshot checks, network checks."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from notebook_guard.domain import network, waits
from notebook_guard.domain.recreate import (
    REMEDIATED_AT_TAG,
    SNAPSHOT_TAG,
    Target,
    build_snapshot,
    configuration_differences,
    configuration_of,
    plan_create_request,
    restore_hint,
    snapshot_key,
    snapshot_problems,
)

ARN = "arn:aws:sagemaker:us-east-1:123456789012:notebook-instance/analysis"
TARGET = Target(subnet_id="subnet-1", security_group_ids=("sg-1",))
CREATED = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def describe(**extra) -> dict:
    return {
        "NotebookInstanceName": "analysis",
        "NotebookInstanceArn": ARN,
        "NotebookInstanceStatus": "InService",
        "InstanceType": "ml.t3.medium",
        "RoleArn": "arn:aws:iam::123456789012:role/nb",
        "DirectInternetAccess": "Enabled",
        "RootAccess": "Enabled",
        "CreationTime": CREATED,
        "Url": "analysis.notebook.us-east-1.sagemaker.aws",
        **extra,
    }


# Wait schedule -----------------------------------------------------------------------------------------
def test_intervals_grow_and_are_capped():
    schedule = waits.WaitSchedule(first_seconds=15, growth=2, max_interval_seconds=120)
    assert [schedule.interval(n) for n in range(1, 7)] == [15, 30, 60, 120, 120, 120]


def test_a_zero_schedule_never_waits_but_still_ends():
    schedule = waits.WaitSchedule(first_seconds=0, max_polls=3)
    previous = None
    for _ in range(3):
        poll = waits.judge(waits.STOPPED, "Stopping", previous, schedule)
        previous = poll.to_dict()
    assert poll.stuck and poll.state == "Stopping" and poll.next_wait == 0


def test_the_time_bound_makes_a_loop_stuck():
    schedule = waits.WaitSchedule(first_seconds=60, growth=1, bound_seconds=150)
    first = waits.judge(waits.STOPPED, "Stopping", None, schedule)
    second = waits.judge(waits.STOPPED, "Stopping", first.to_dict(), schedule)
    third = waits.judge(waits.STOPPED, "Stopping", second.to_dict(), schedule)
    assert (first.stuck, second.stuck, third.stuck) == (False, False, True)
    assert third.waited == 120


def test_a_new_target_starts_a_new_loop():
    schedule = waits.WaitSchedule()
    old = {"until": waits.STABLE, "count": 50, "waited": 3000}
    assert waits.judge(waits.STOPPED, "Stopping", old, schedule).count == 1


@pytest.mark.parametrize(
    ("until", "state", "done", "failed"),
    [
        (waits.STABLE, "Pending", False, False),
        (waits.STABLE, "Failed", True, False),
        (waits.STABLE, None, True, False),
        (waits.STOPPED, "Failed", True, False),
        (waits.GONE, "Deleting", False, False),
        (waits.GONE, None, True, False),
        (waits.IN_SERVICE, "Failed", False, True),
        (waits.IN_SERVICE, None, False, True),
        (waits.UPDATED, "Stopped", True, False),
        (waits.RUNNING, "InService", True, False),
    ],
)
def test_targets(until, state, done, failed):
    poll = waits.judge(until, state, None, waits.WaitSchedule())
    assert (poll.done, poll.failed) == (done, failed)


def test_polls_for_a_duration():
    schedule = waits.WaitSchedule()
    assert waits.polls_for(0, schedule) == 1
    assert waits.polls_for(300, schedule) == 4  # waits 60+120+180 = 360 >= 300


# Recreate plan -------------------------------------------------------------------------------------------
def test_the_plan_renames_copies_and_sets_the_target():
    plan = plan_create_request(
        describe(
            SecurityGroups=["sg-old"],
            NotebookInstanceLifecycleConfigName="lc",
            KmsKeyId="key",
            VolumeSizeInGB=50,
            DefaultCodeRepository="https://git/x",
            AdditionalCodeRepositories=["r1"],
            PlatformIdentifier="notebook-al2-v3",
            InstanceMetadataServiceConfiguration={"MinimumInstanceMetadataServiceVersion": "2"},
            IpAddressType="dualstack",
        ),
        {"team": "ml"},
        TARGET,
        "2026-01-01T00:00:00Z",
        "s3://b/k.json",
    )
    request = plan.request
    assert request["LifecycleConfigName"] == "lc" and "NotebookInstanceLifecycleConfigName" not in request
    assert request["SecurityGroupIds"] == ["sg-1"] and request["SubnetId"] == "subnet-1"
    assert request["DirectInternetAccess"] == "Disabled" and request["RootAccess"] == "Disabled"
    assert request["PlatformIdentifier"] == "notebook-al2-v3" and request["IpAddressType"] == "dualstack"
    assert request["InstanceMetadataServiceConfiguration"] == {"MinimumInstanceMetadataServiceVersion": "2"}
    tags = {t["Key"]: t["Value"] for t in request["Tags"]}
    assert tags == {"team": "ml", REMEDIATED_AT_TAG: "2026-01-01T00:00:00Z", SNAPSHOT_TAG: "s3://b/k.json"}
    for absent in ("Url", "CreationTime", "NotebookInstanceStatus", "SecurityGroups"):
        assert absent not in request
    assert plan.dropped == []


def test_reserved_tags_and_accelerators_are_dropped_and_said():
    plan = plan_create_request(
        describe(AcceleratorTypes=["ml.eia1.medium"]),
        {"aws:cloudformation:stack-name": "s", "keep": "1"},
        TARGET,
        "t",
        "s3://b/k",
    )
    assert {t["Key"] for t in plan.request["Tags"]} == {"keep", REMEDIATED_AT_TAG, SNAPSHOT_TAG}
    assert "AcceleratorTypes" not in plan.request
    assert any("aws:cloudformation:stack-name" in d for d in plan.dropped)
    assert any("Elastic Inference" in d for d in plan.dropped)


def test_the_tag_limit_is_respected():
    tags = {f"k{i:02}": "v" for i in range(50)}
    plan = plan_create_request(describe(), tags, TARGET, "t", "s3://b/k")
    assert len(plan.request["Tags"]) == 50 and any("limit" in d for d in plan.dropped)


def test_a_snapshot_is_checked_against_the_notebook():
    plan = plan_create_request(describe(), {}, TARGET, "t", "s3://b/k")
    document = build_snapshot(describe(), {}, None, plan, "t", "exec")
    assert snapshot_problems(document, ARN, CREATED.isoformat(), restorable=True) == []
    assert snapshot_problems(document, ARN.replace("analysis", "other"), None)
    assert snapshot_problems(document, ARN, "2027-01-01T00:00:00+00:00")
    no_target = build_snapshot(
        describe(), {}, None, plan_create_request(describe(), {}, Target("", ()), "t", "u"), "t", "e"
    )
    assert snapshot_problems(no_target, ARN, None) == []
    assert snapshot_problems(no_target, ARN, None, restorable=True) == ["create_request has no SubnetId"]


def test_snapshot_keys_are_unique_per_execution_and_sequence_and_the_restore_hint_pins_the_version():
    assert snapshot_key("analysis", "create-analysis-1") == "snapshots/analysis/create-analysis-1/1.json"
    assert snapshot_key("analysis", "create-analysis-1", 2) != snapshot_key("analysis", "create-analysis-2", 2)
    hint = restore_hint("s3://b/k.json", "eu-west-1", "v42")
    assert "notebook-guard restore s3://b/k.json --version-id v42" in hint
    assert "aws s3api get-object --bucket b --key k.json --version-id v42" in hint
    assert "create-notebook-instance --region eu-west-1" in hint and "audit table" in hint
    assert restore_hint(None, "x") is None


def test_configuration_differences_name_what_a_recreate_would_lose():
    before = configuration_of(describe(VolumeSizeInGB=5), {"team": "a", "gone": "x", SNAPSHOT_TAG: "s3://old"})
    now = configuration_of(
        describe(VolumeSizeInGB=50, NotebookInstanceLifecycleConfigName="lc2"), {"team": "b", "new": "y"}
    )
    assert configuration_differences(before, now) == [
        "NotebookInstanceLifecycleConfigName: None -> 'lc2'",
        "VolumeSizeInGB: 5 -> 50",
        "tag gone removed",
        "tag new added",
        "tag team changed",
    ]
    # Status, URL and our own tags are not configuration.
    same = configuration_of(describe(VolumeSizeInGB=5, Url="x"), {"team": "a", "gone": "x"})
    assert configuration_differences(before, same) == []


# Network -------------------------------------------------------------------------------------------------
def table(table_id, routes=(), subnet=None, main=False):
    associations = [{"SubnetId": subnet}] if subnet else []
    if main:
        associations.append({"Main": True})
    return {"RouteTableId": table_id, "Associations": associations, "Routes": list(routes)}


IGW = {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-1"}
LOCAL = {"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local"}


def test_a_subnet_uses_its_own_table_else_the_main_one():
    tables = [table("rtb-main", [LOCAL, IGW], main=True), table("rtb-own", [LOCAL], subnet="subnet-a")]
    assert network.subnet_problems("subnet-a", {"SubnetId": "subnet-a"}, tables) == []
    problems = network.subnet_problems("subnet-b", {"SubnetId": "subnet-b"}, tables)
    assert problems and "rtb-main" in problems[0] and "0.0.0.0/0" in problems[0]


def test_a_nat_route_is_private():
    tables = [table("rtb", [LOCAL, {"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-1"}], subnet="s")]
    assert network.subnet_problems("s", {"SubnetId": "s"}, tables) == []


def test_security_groups_must_exist_in_the_subnets_vpc():
    groups = [{"GroupId": "sg-1", "VpcId": "vpc-1"}, {"GroupId": "sg-2", "VpcId": "vpc-2"}]
    problems = network.security_group_problems(("sg-1", "sg-2", "sg-3"), groups, "vpc-1")
    assert problems == [
        "security group sg-3 does not exist",
        "security group sg-2 is in vpc-2, not in the subnet's VPC vpc-1",
    ]
    assert network.security_group_problems((), [], "vpc-1") == ["no target security group is configured"]


def test_required_endpoints():
    endpoints = [
        {"ServiceName": "com.amazonaws.us-east-1.sts", "VpcEndpointType": "Interface", "State": "available"},
        {"ServiceName": "com.amazonaws.us-east-1.s3", "VpcEndpointType": "Gateway", "State": "available"},
        {"ServiceName": "com.amazonaws.us-east-1.logs", "VpcEndpointType": "Interface", "State": "deleted"},
    ]
    problems = network.endpoint_problems(("sts", "s3", "logs", "sagemaker.api"), endpoints, "us-east-1", "vpc-1")
    assert problems == [
        "VPC vpc-1 has no interface endpoint for com.amazonaws.us-east-1.logs",
        "VPC vpc-1 has no interface endpoint for com.amazonaws.us-east-1.sagemaker.api",
    ]


def test_an_interface_endpoint_without_private_dns_does_not_serve_the_notebook():
    endpoints = [
        {"ServiceName": "com.amazonaws.us-east-1.sts", "VpcEndpointType": "Interface", "PrivateDnsEnabled": False},
        {"ServiceName": "com.amazonaws.us-east-1.logs", "VpcEndpointType": "Interface", "PrivateDnsEnabled": True},
        {"ServiceName": "com.amazonaws.us-east-1.sagemaker.api", "VpcEndpointType": "Interface"},  # API default: on
    ]
    problems = network.endpoint_problems(("sts", "logs", "sagemaker.api"), endpoints, "us-east-1", "vpc-1")
    assert problems == ["the interface endpoint for com.amazonaws.us-east-1.sts in VPC vpc-1 has private DNS disabled"]


def test_interface_endpoints_need_the_vpc_dns_attributes():
    assert network.needs_private_dns(("sts", "s3")) and not network.needs_private_dns(("s3",))
    assert network.dns_problems({"enableDnsSupport": True, "enableDnsHostnames": True}, "vpc-1") == []
    (problem,) = network.dns_problems({"enableDnsSupport": True, "enableDnsHostnames": False}, "vpc-1")
    assert problem.startswith("VPC vpc-1 has enableDnsHostnames off")

"""The stricter fake: CreateNotebookInstance refuses what AWS refuses, and a notebook that cannot work where it is
created ends Failed as in AWS (see local/notebook_guard_local/fake/paths.py for which texts are confirmed)."""

from __future__ import annotations

import base64

import pytest
from botocore.exceptions import ClientError

from notebook_guard.aws import clients
from notebook_guard_local.fake.paths import CAPACITY_REASON
from tests.conftest import REGION


def request(harness, name: str, **extra) -> dict:
    world = harness.world
    return {
        "NotebookInstanceName": name,
        "InstanceType": "ml.t3.medium",
        "RoleArn": world.role_arn,
        "SubnetId": world.private_subnet_id,
        "SecurityGroupIds": [world.security_group_id],
        "DirectInternetAccess": "Disabled",
        **extra,
    }


def settle(harness, name: str) -> dict:
    """Describe until the notebook leaves Pending (the fake's transitions complete on polls)."""
    for _ in range(5):
        described = harness.sagemaker.describe_notebook_instance(NotebookInstanceName=name)
        if described["NotebookInstanceStatus"] != "Pending":
            return described
    return described


def refused(harness, **extra) -> str:
    with pytest.raises(ClientError) as error:
        harness.sagemaker.create_notebook_instance(**request(harness, "refused", **extra))
    assert error.value.response["Error"]["Code"] == "ValidationException"
    assert not harness.exists("refused")
    return error.value.response["Error"]["Message"]


def test_create_refuses_a_missing_role_lifecycle_configuration_or_key_and_dualstack_without_ipv6(harness):
    role = "arn:aws:iam::123456789012:role/deleted-role"
    assert refused(harness, RoleArn=role).startswith(
        f"Could not assume role {role}. Please ensure that the role exists"
    )
    assert "Notebook Instance Lifecycle Config does not exist" in refused(harness, LifecycleConfigName="gone-lc")
    kms = clients.client("kms", REGION)
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.disable_key(KeyId=key)
    assert "is Disabled" in refused(harness, KmsKeyId=key)
    assert "does not support IPv6" in refused(harness, IpAddressType="dualstack")
    # In the dual-stack subnet, dualstack is accepted.
    harness.sagemaker.create_notebook_instance(
        **request(harness, "dual", SubnetId=harness.world.nat_subnet_id, IpAddressType="dualstack")
    )
    assert settle(harness, "dual")["NotebookInstanceStatus"] == "InService"


def test_no_free_address_and_no_capacity_end_failed(harness):
    ec2 = clients.client("ec2", REGION)
    full = ec2.create_subnet(VpcId=harness.world.vpc_id, CidrBlock="10.20.250.0/28", AvailabilityZone=f"{REGION}b")
    full_id = full["Subnet"]["SubnetId"]
    for _ in range(11):
        ec2.create_network_interface(SubnetId=full_id)
    harness.sagemaker.create_notebook_instance(**request(harness, "no-address", SubnetId=full_id))
    failed = settle(harness, "no-address")
    assert (
        failed["NotebookInstanceStatus"] == "Failed" and "InsufficientFreeAddressesInSubnet" in failed["FailureReason"]
    )

    harness.fake.capacity_shortage(f"{REGION}a")
    harness.sagemaker.create_notebook_instance(**request(harness, "no-capacity"))
    assert settle(harness, "no-capacity")["FailureReason"] == CAPACITY_REASON
    harness.sagemaker.create_notebook_instance(
        **request(harness, "other-zone", SubnetId=harness.world.private_subnet_b_id)
    )
    assert settle(harness, "other-zone")["NotebookInstanceStatus"] == "InService"


def test_a_notebook_needing_the_internet_without_a_way_out_fails_as_aws_reports_it(harness):
    harness.fake.timeline.polls = {state: 10**9 for state in ("Pending", "Stopping", "Deleting", "Updating")}
    harness.fake.timeline.seconds["Pending"] = 60
    script = base64.b64encode(b"#!/bin/bash\npip install pandas\n").decode()
    harness.sagemaker.create_notebook_instance_lifecycle_config(
        NotebookInstanceLifecycleConfigName="needs-pypi", OnStart=[{"Content": script}]
    )
    harness.sagemaker.create_notebook_instance(**request(harness, "offline", LifecycleConfigName="needs-pypi"))
    clock = harness.fake.clock
    clock.advance(300)  # a minute to start, then the script runs into the 5-minute limit
    assert settle(harness, "offline")["NotebookInstanceStatus"] == "Pending"
    clock.advance(60)
    failed = settle(harness, "offline")
    assert failed["NotebookInstanceStatus"] == "Failed"
    assert failed["FailureReason"] == (
        "Notebook Instance Lifecycle Config 'arn:aws:sagemaker:us-east-1:123456789012:notebook-instance-lifecycle-"
        "config/needs-pypi' for Notebook Instance 'arn:aws:sagemaker:us-east-1:123456789012:notebook-instance/"
        "offline' took longer than 5 minutes. Please check your CloudWatch logs for more details if your Notebook "
        "Instance has Internet access."
    )
    harness.sagemaker.create_notebook_instance(
        **request(harness, "clone", DefaultCodeRepository="https://github.com/aws/amazon-sagemaker-examples.git")
    )
    clock.advance(200)
    failed = settle(harness, "clone")
    assert failed["NotebookInstanceStatus"] == "Failed"
    assert "Failed to connect to github.com port 443" in failed["FailureReason"]
    # With a way out (the NAT'd subnet), the same notebook comes up; outside any VPC, SageMaker's network has one.
    harness.sagemaker.create_notebook_instance(
        **request(harness, "online", SubnetId=harness.world.nat_subnet_id, LifecycleConfigName="needs-pypi")
    )
    clock.advance(400)
    assert settle(harness, "online")["NotebookInstanceStatus"] == "InService"

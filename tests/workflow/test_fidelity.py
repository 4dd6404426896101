"""A notebook with every optional field comes back identical apart from what the remediation must change."""

from __future__ import annotations

from notebook_guard.aws import clients
from notebook_guard.domain.recreate import EXECUTION_TAG, OUR_TAGS, SNAPSHOT_TAG
from tests.conftest import REGION

CHANGED_BY_DESIGN = {"SubnetId", "SecurityGroups", "DirectInternetAccess", "RootAccess", "NetworkInterfaceId"}
CHANGED_BY_LIFE = {"CreationTime", "LastModifiedTime", "NotebookInstanceStatus", "Url", "ResponseMetadata"}


def test_every_optional_field_survives(harness, monkeypatch):
    # Its repositories are on GitHub and it is dualstack: the target must have a way out and IPv6 (the NAT'd one).
    monkeypatch.setenv("NG_TARGET_SUBNET_IDS", harness.world.nat_subnet_id)
    harness.redeploy_roles()
    sm = harness.sagemaker
    sm.create_notebook_instance_lifecycle_config(
        NotebookInstanceLifecycleConfigName="sync-data",
        OnCreate=[{"Content": "ZWNobyBjcmVhdGU="}],
        OnStart=[{"Content": "ZWNobyBzdGFydA=="}],
    )
    key = clients.client("kms", REGION).create_key(Description="notebook volume")["KeyMetadata"]["KeyId"]
    tags = [{"Key": f"tag-{i:02}", "Value": f"value {i}"} for i in range(19)]
    harness.create_notebook(
        "analysis",
        "InService",
        InstanceType="ml.m5.xlarge",
        KmsKeyId=key,
        LifecycleConfigName="sync-data",
        DefaultCodeRepository="https://github.com/example/notebooks.git",
        AdditionalCodeRepositories=["https://github.com/example/lib.git", "https://github.com/example/data.git"],
        PlatformIdentifier="notebook-al2-v3",
        InstanceMetadataServiceConfiguration={"MinimumInstanceMetadataServiceVersion": "2"},
        IpAddressType="dualstack",
        VolumeSizeInGB=75,
        Tags=tags,
    )
    before = sm.describe_notebook_instance(NotebookInstanceName="analysis")
    # A CloudFormation-owned notebook carries a reserved tag users cannot set (moto lets the backend do it).
    harness.backend.add_tags(before["NotebookInstanceArn"], [{"Key": "aws:cloudformation:stack-name", "Value": "s"}])
    before_tags = {t["Key"]: t["Value"] for t in sm.list_tags(ResourceArn=before["NotebookInstanceArn"])["Tags"]}
    assert len(before_tags) == 20

    execution = harness.run()
    assert execution.status == "SUCCEEDED", (execution.error, execution.cause)

    after = sm.describe_notebook_instance(NotebookInstanceName="analysis")
    ignored = CHANGED_BY_DESIGN | CHANGED_BY_LIFE
    assert {k: v for k, v in after.items() if k not in ignored} == {k: v for k, v in before.items() if k not in ignored}
    assert after["SubnetId"] == harness.world.nat_subnet_id and after["IpAddressType"] == "dualstack"
    assert after["SecurityGroups"] == [harness.world.security_group_id]
    assert (after["DirectInternetAccess"], after["RootAccess"]) == ("Disabled", "Disabled")
    assert after["CreationTime"] != before["CreationTime"]

    after_tags = {t["Key"]: t["Value"] for t in sm.list_tags(ResourceArn=after["NotebookInstanceArn"])["Tags"]}
    expected = {k: v for k, v in before_tags.items() if not k.startswith("aws:")}
    assert {k: v for k, v in after_tags.items() if k not in OUR_TAGS} == expected
    assert after_tags[SNAPSHOT_TAG].startswith("s3://")
    assert after_tags[EXECUTION_TAG] in after_tags[SNAPSHOT_TAG]  # the execution's own snapshot key

    (alert,) = harness.alerts()
    assert any("aws:cloudformation:stack-name" in d for d in alert["details"]["dropped"])
    (snapshot,) = harness.snapshots()
    assert snapshot["lifecycle_config"]["OnStart"] == [{"Content": "ZWNobyBzdGFydA=="}]
    assert snapshot["tags"] == before_tags and snapshot["schema"] == "notebook-guard/snapshot"

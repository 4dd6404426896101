"""The fake behaves as AWS documents, where moto alone does not."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from notebook_guard.aws import clients
from tests.conftest import REGION


def status(harness, name="nb"):
    return harness.sagemaker.describe_notebook_instance(NotebookInstanceName=name)["NotebookInstanceStatus"]


def test_transitions_take_polls(harness):
    sm = harness.sagemaker
    sm.create_notebook_instance(NotebookInstanceName="nb", InstanceType="ml.t3.medium", RoleArn=harness.world.role_arn)
    assert [status(harness), status(harness)] == ["Pending", "InService"]
    sm.stop_notebook_instance(NotebookInstanceName="nb")
    assert [status(harness), status(harness)] == ["Stopping", "Stopped"]
    sm.update_notebook_instance(NotebookInstanceName="nb", RootAccess="Disabled")
    assert [status(harness), status(harness)] == ["Updating", "Stopped"]
    assert sm.describe_notebook_instance(NotebookInstanceName="nb")["RootAccess"] == "Disabled"
    sm.delete_notebook_instance(NotebookInstanceName="nb")
    assert status(harness) == "Deleting"
    with pytest.raises(ClientError, match="RecordNotFound"):
        status(harness)


def test_illegal_transitions_fail_with_the_aws_error_text(harness):
    sm = harness.sagemaker
    sm.create_notebook_instance(NotebookInstanceName="nb", InstanceType="ml.t3.medium", RoleArn=harness.world.role_arn)
    with pytest.raises(ClientError) as stop:
        sm.stop_notebook_instance(NotebookInstanceName="nb")
    assert stop.value.response["Error"]["Code"] == "ValidationException"
    assert stop.value.response["Error"]["Message"].startswith(
        "Status (Pending) not in ([InService]). Unable to transition to (Stopping) for Notebook Instance (arn:aws:"
    )
    with pytest.raises(ClientError, match=r"Status \(Pending\) not in \(\[Stopped, Failed\]\)"):
        sm.delete_notebook_instance(NotebookInstanceName="nb")
    with pytest.raises(ClientError, match=r"not in \(\[Stopped\]\). Unable to transition to \(Updating\)"):
        sm.update_notebook_instance(NotebookInstanceName="nb", RootAccess="Disabled")
    with pytest.raises(ClientError, match="Cannot create a duplicate Notebook Instance"):
        sm.create_notebook_instance(
            NotebookInstanceName="nb", InstanceType="ml.t3.medium", RoleArn=harness.world.role_arn
        )


def test_fields_moto_drops_survive_and_absent_fields_are_omitted(harness):
    harness.sagemaker.create_notebook_instance(
        NotebookInstanceName="nb",
        InstanceType="ml.t3.medium",
        RoleArn=harness.world.role_arn,
        PlatformIdentifier="notebook-al2-v3",
        InstanceMetadataServiceConfiguration={"MinimumInstanceMetadataServiceVersion": "2"},
        IpAddressType="dualstack",
    )
    described = harness.sagemaker.describe_notebook_instance(NotebookInstanceName="nb")
    assert described["PlatformIdentifier"] == "notebook-al2-v3"
    assert described["InstanceMetadataServiceConfiguration"] == {"MinimumInstanceMetadataServiceVersion": "2"}
    assert described["IpAddressType"] == "dualstack"
    assert "SubnetId" not in described and "KmsKeyId" not in described


def test_a_failed_creation_reports_its_reason(harness):
    harness.fake.fail_next_create("nb", "capacity")
    harness.sagemaker.create_notebook_instance(
        NotebookInstanceName="nb", InstanceType="ml.t3.medium", RoleArn=harness.world.role_arn
    )
    status(harness)
    described = harness.sagemaker.describe_notebook_instance(NotebookInstanceName="nb")
    assert described["NotebookInstanceStatus"] == "Failed" and described["FailureReason"] == "capacity"


@pytest.mark.parametrize(
    ("kind", "code"),
    [
        ("throttling", "ThrottlingException"),
        ("server-error", "InternalFailure"),
        ("access-denied", "AccessDeniedException"),
    ],
)
def test_faults_are_real_errors_with_no_side_effect(harness, kind, code):
    harness.faults.inject("sagemaker:CreateNotebookInstance", kind)
    with pytest.raises(ClientError) as error:
        harness.sagemaker.create_notebook_instance(
            NotebookInstanceName="nb", InstanceType="ml.t3.medium", RoleArn=harness.world.role_arn
        )
    assert error.value.response["Error"]["Code"] == code
    assert not harness.exists("nb")


def test_a_fault_can_be_limited_to_a_number_of_calls(harness):
    harness.faults.inject("s3:ListBuckets", "throttling", times=1)
    assert clients.client("s3", REGION).list_buckets()["Buckets"]  # retried by botocore, then served
    assert harness.faults.calls.count("s3:ListBuckets") == 2


# --- tag values as SageMaker validates them --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tags", "problem"),
    [
        ([{"Key": "notebook-guard:exempt", "Value": "Vendor proof of concept, approved in SEC-1234"}],
         "Member must satisfy regular expression pattern"),
        ([{"Key": "owner", "Value": 'jane "the boss"'}], "Member must satisfy regular expression pattern"),
        ([{"Key": "k" * 129, "Value": "v"}], "Member must have length less than or equal to 128"),
        ([{"Key": "k", "Value": "v" * 257}], "Member must have length less than or equal to 256"),
    ],
)
def test_tags_are_validated_as_sagemaker_does(harness, tags, problem):
    with pytest.raises(ClientError) as refused:
        harness.create_notebook("tagged", Tags=tags)
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert "validation error detected: Value '" in str(refused.value) and problem in str(refused.value)
    assert not harness.exists("tagged")


def test_valid_tag_values_pass_and_add_tags_is_validated_too(harness):
    letters_and_symbols = "Jos\u00e9 M\u00fcller - team@example.com: a/b=c+d_e.f"
    harness.create_notebook("tagged", Tags=[{"Key": "owner", "Value": letters_and_symbols}, {"Key": "e", "Value": ""}])
    arn = harness.describe("tagged", advance=False)["NotebookInstanceArn"]
    with pytest.raises(ClientError) as refused:
        harness.sagemaker.add_tags(ResourceArn=arn, Tags=[{"Key": "why", "Value": "because; reasons"}])
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    harness.sagemaker.add_tags(ResourceArn=arn, Tags=[{"Key": "why", "Value": "because reasons"}])


def test_code_repositories_are_kept_with_their_secret(harness):
    harness.sagemaker.create_code_repository(
        CodeRepositoryName="team-repo",
        GitConfig={
            "RepositoryUrl": "https://git.example.com/t.git",
            "SecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:s",
        },
    )
    described = harness.sagemaker.describe_code_repository(CodeRepositoryName="team-repo")
    assert described["GitConfig"]["SecretArn"].endswith(":secret:s")
    with pytest.raises(ClientError) as missing:
        harness.sagemaker.describe_code_repository(CodeRepositoryName="nope")
    assert "Cannot find CodeRepository" in str(missing.value)

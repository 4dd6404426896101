"""The simulation says no: a call the calling function's role does not allow fails as AWS fails it, and a role
missing a documented permission blocks the workflow in the Preflight (naming it), never after the Delete."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from notebook_guard.aws import clients
from notebook_guard.permissions.principals import SIMULATED_STEPS
from notebook_guard_local.fake.enforcement import acting_as, deploy_role, iam_backend
from notebook_guard_local.roles import step_role_name

SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:AmazonSageMaker-team-repo-a1b2c3"


def role_document(key: str) -> dict:
    backend = iam_backend()
    role = next(r for r in backend.roles.values() if r.name == step_role_name(key))
    return json.loads(role.policies["policy"])


def without(document: dict, action: str) -> dict:
    statements = []
    for statement in document["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        kept = [a for a in actions if a != action]
        if kept:
            statements.append({**statement, "Action": kept})
    return {**document, "Statement": statements}


def private_repository(harness) -> str:
    if "team-repo" not in harness.fake.code_repositories:
        harness.sagemaker.create_code_repository(
            CodeRepositoryName="team-repo",
            GitConfig={"RepositoryUrl": "https://git.example.com/team.git", "SecretArn": SECRET},
        )
    return "team-repo"


def key(harness) -> str:
    return clients.client("kms", harness.world.region).create_key()["KeyMetadata"]["KeyId"]


def recreate_notebook(harness, name: str) -> None:
    """Out of any VPC, with a KMS key, a private Git repository and tags: every conditional need of Create."""
    harness.create_notebook(
        name,
        "InService",
        KmsKeyId=key(harness),
        DefaultCodeRepository=private_repository(harness),
        Tags=[{"Key": "team", "Value": "risk"}],
    )


def root_access_notebook(harness, name: str) -> None:
    """In the private subnet with root access, running, with a key and a private repository: Start's needs."""
    world = harness.world
    harness.create_notebook(
        name,
        "InService",
        SubnetId=world.private_subnet_id,
        SecurityGroupIds=[world.security_group_id],
        DirectInternetAccess="Disabled",
        RootAccess="Enabled",
        KmsKeyId=key(harness),
        DefaultCodeRepository=private_repository(harness),
    )


def capacity_notebook(harness, name: str) -> None:
    """Out of any VPC, with a KMS key, to be recreated in two zones: Discard's needs (a capacity retry)."""
    harness.create_notebook(name, "InService", KmsKeyId=key(harness))


SCENARIOS = {"Stop": recreate_notebook, "Delete": recreate_notebook, "Create": recreate_notebook,
             "Discard": capacity_notebook, "Update": root_access_notebook, "Start": root_access_notebook}
# The private repository is on a Git server outside AWS: the target needs a way out (the NAT'd subnet). Discard is
# simulated only when a second subnet may be tried (two isolated subnets in two zones).
TARGETS = {
    "Stop": lambda world: world.nat_subnet_id,
    "Delete": lambda world: world.nat_subnet_id,
    "Create": lambda world: world.nat_subnet_id,
    "Discard": lambda world: f"{world.private_subnet_id},{world.private_subnet_b_id}",
    "Update": lambda world: world.private_subnet_id,
    "Start": lambda world: world.private_subnet_id,
}
# What AWS documents each acting step needs for these scenarios (SageMaker API permissions reference): removing
# any of these must block the workflow in the Preflight.
MUST_BLOCK = {
    "Stop": {"sagemaker:DescribeNotebookInstance", "sagemaker:StopNotebookInstance"},
    "Delete": {"sagemaker:DeleteNotebookInstance", "kms:DescribeKey", "s3:GetObject", "dynamodb:PutItem"},
    "Create": {
        "sagemaker:CreateNotebookInstance", "iam:PassRole", "sagemaker:AddTags", "ec2:CreateNetworkInterface",
        "ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DescribeVpcs", "kms:DescribeKey",
        "kms:CreateGrant", "secretsmanager:GetSecretValue", "s3:GetObject",
    },
    "Discard": {
        "sagemaker:DescribeNotebookInstance", "sagemaker:ListTags", "sagemaker:DeleteNotebookInstance",
        "ec2:DeleteNetworkInterface", "kms:DescribeKey", "dynamodb:GetItem", "dynamodb:PutItem",
    },
    "Update": {"sagemaker:UpdateNotebookInstance", "iam:PassRole"},
    "Start": {
        "sagemaker:StartNotebookInstance", "iam:PassRole", "ec2:CreateNetworkInterface",
        "ec2:DescribeNetworkInterfaces", "ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DescribeVpcs",
        "kms:DescribeKey", "kms:CreateGrant", "secretsmanager:GetSecretValue",
    },
}


def removals():
    """(step, action) for every action the generated policy of each acting step holds."""
    from notebook_guard.permissions import policy, principals
    from notebook_guard_local.roles import names_from_environment

    names = names_from_environment({"NG_SNAPSHOT_BUCKET": "b", "NG_AUDIT_TABLE": "t"}, "us-east-1")
    for step in SIMULATED_STEPS:
        for action in sorted(policy.render(principals.by_name(step), names).actions()):
            yield step, action


@pytest.mark.parametrize(("step", "action"), list(removals()))
def test_a_role_missing_a_permission_blocks_in_the_preflight_never_after_the_delete(
    shared_harness, monkeypatch, step, action
):
    harness = shared_harness
    name = f"rm-{step}-{action.replace(':', '-').replace('*', '')}".lower()[:60]
    monkeypatch.setenv("NG_TARGET_SUBNET_IDS", TARGETS[step](harness.world))
    harness.redeploy_roles()
    SCENARIOS[step](harness, name)
    original = role_document(step)
    deploy_role(step_role_name(step), without(original, action))
    denials_before = len(harness.enforcement.denials)
    try:
        execution = harness.run(name)
    finally:
        deploy_role(step_role_name(step), original)
    assert (name, "Deleting") not in harness.fake.history or execution.status == "SUCCEEDED"
    if "Alert that remediation is blocked" in execution.states_entered:
        (alert,) = [a for a in harness.alerts() if a["kind"] == "blocked" and a["notebook"]["name"] == name]
        problems = " | ".join(alert["details"]["preflight_problems"])
        assert f"the {step} step's role" in problems and f"may not {action} on " in problems, problems
        assert (name, "Deleting") not in harness.fake.history and (name, "Stopping") not in harness.fake.history
    else:
        assert action not in MUST_BLOCK[step], f"removing {action} from {step} did not block the workflow"
        assert execution.status == "SUCCEEDED", (execution.error, execution.cause)
        assert harness.enforcement.denials[denials_before:] == []


def test_an_ungranted_call_is_denied_the_way_aws_denies_it(harness):
    harness.create_notebook("victim")
    sagemaker = clients.client("sagemaker", "us-east-1")
    with acting_as(step_role_name("Probe")), pytest.raises(ClientError) as denied:
        sagemaker.delete_notebook_instance(NotebookInstanceName="victim")
    error = denied.value.response["Error"]
    assert error["Code"] == "AccessDeniedException"
    assert error["Message"] == (
        "User: arn:aws:sts::123456789012:assumed-role/notebook-guard-step-Probe/notebook-guard-step-Probe is not "
        "authorized to perform: sagemaker:DeleteNotebookInstance on resource: "
        "arn:aws:sagemaker:us-east-1:123456789012:notebook-instance/victim because no identity-based policy allows "
        "the sagemaker:DeleteNotebookInstance action"
    )
    assert harness.exists("victim")
    with acting_as(step_role_name("Probe")):
        for call, code in (
            (lambda: clients.client("ec2", "us-east-1").describe_subnets(), "UnauthorizedOperation"),
            (lambda: clients.client("s3", "us-east-1").get_object(Bucket=harness.world.bucket, Key="k"),
             "AccessDenied"),
            (lambda: clients.client("sns", "us-east-1").publish(TopicArn=harness.world.topic_arn, Message="x"),
             "AuthorizationError"),
            (lambda: clients.client("iam", "us-east-1").get_role(RoleName="notebook-execution-role"), "AccessDenied"),
        ):
            with pytest.raises(ClientError) as refused:
                call()
            assert refused.value.response["Error"]["Code"] == code


def test_without_create_network_interface_the_new_notebook_fails_as_sagemaker_reports_it(harness):
    """SageMaker accepts the create and the notebook ends Failed (github.com/aws/aws-sdk-go/issues/4071)."""
    document = role_document("Create")
    deploy_role(step_role_name("Create"), without(document, "ec2:CreateNetworkInterface"))
    try:
        with acting_as(step_role_name("Create")):
            clients.client("sagemaker", "us-east-1").create_notebook_instance(
                NotebookInstanceName="no-eni",
                InstanceType="ml.t3.medium",
                RoleArn=harness.world.role_arn,
                SubnetId=harness.world.private_subnet_id,
                SecurityGroupIds=[harness.world.security_group_id],
            )
    finally:
        deploy_role(step_role_name("Create"), document)
    for _ in range(5):
        described = harness.describe("no-eni")
    assert described["NotebookInstanceStatus"] == "Failed"
    assert "Please check if you have ec2:CreateNetworkInterface permission" in described["FailureReason"]


def test_pass_role_is_refused_at_the_call(harness):
    document = role_document("Create")
    deploy_role(step_role_name("Create"), without(document, "iam:PassRole"))
    try:
        with acting_as(step_role_name("Create")), pytest.raises(ClientError) as denied:
            clients.client("sagemaker", "us-east-1").create_notebook_instance(
                NotebookInstanceName="no-pass", InstanceType="ml.t3.medium", RoleArn=harness.world.role_arn
            )
    finally:
        deploy_role(step_role_name("Create"), document)
    assert "is not authorized to perform: iam:PassRole on resource: " + harness.world.role_arn in str(denied.value)
    assert not harness.exists("no-pass")


def test_a_simulation_that_is_refused_blocks_and_says_so(harness):
    preflight = step_role_name("Preflight")
    backend = iam_backend()
    role = next(r for r in backend.roles.values() if r.name == preflight)
    document = json.loads(role.policies["policy"])
    deploy_role(preflight, without(document, "iam:SimulatePrincipalPolicy"))
    harness.create_notebook("unprovable")
    try:
        execution = harness.run("unprovable")
    finally:
        deploy_role(preflight, document)
    assert "Alert that remediation is blocked" in execution.states_entered
    (alert,) = [a for a in harness.alerts() if a["kind"] == "blocked"]
    problems = " | ".join(alert["details"]["preflight_problems"])
    assert "could not be simulated (iam:SimulatePrincipalPolicy failed: AccessDenied" in problems
    assert harness.exists("unprovable") and ("unprovable", "Stopping") not in harness.fake.history

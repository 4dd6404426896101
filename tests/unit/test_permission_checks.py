"""The checks the Preflight simulates: which steps act, and what each of their calls needs for THIS request."""

from __future__ import annotations

from notebook_guard.domain import workflow
from notebook_guard.permissions.checks import Facts, checks_for
from notebook_guard.services.permission_check import is_repository_url, steps_that_act

BASE = Facts("aws", "us-east-1", "123456789012")


def test_the_steps_that_act_follow_the_action_and_path():
    assert steps_that_act("notify", workflow.RECREATE, True) == []
    assert steps_that_act("quarantine", workflow.RECREATE, True) == ["Stop"]
    assert steps_that_act("remediate", workflow.RECREATE, True) == ["Stop", "Delete", "Create"]
    assert steps_that_act("remediate", workflow.ROOT_ACCESS, True) == ["Stop", "Update", "Start"]
    assert steps_that_act("remediate", workflow.ROOT_ACCESS, False) == ["Stop", "Update"]
    assert steps_that_act("remediate", workflow.COMPLIANT, True) == []


def test_a_create_in_a_subnet_with_a_key_a_secret_and_tags_needs_every_dependent_action():
    facts = Facts(
        "aws", "us-east-1", "123456789012", notebook="Analysis", role_arn="arn:aws:iam::123456789012:role/nb",
        kms_key_arn="arn:aws:kms:us-east-1:123456789012:key/k", subnet_id="subnet-1", security_group_ids=("sg-1",),
        tags=True, secret_arns=("arn:aws:secretsmanager:us-east-1:123456789012:secret:s",),
    )
    checks = {(c.action, c.resource) for c in checks_for("sagemaker:CreateNotebookInstance", facts)}
    ec2 = "arn:aws:ec2:us-east-1:123456789012"
    assert checks == {
        ("sagemaker:CreateNotebookInstance", "arn:aws:sagemaker:us-east-1:123456789012:notebook-instance/analysis"),
        ("sagemaker:AddTags", "arn:aws:sagemaker:us-east-1:123456789012:notebook-instance/analysis"),
        ("iam:PassRole", "arn:aws:iam::123456789012:role/nb"),
        ("ec2:CreateNetworkInterface", f"{ec2}:network-interface/*"),
        ("ec2:CreateNetworkInterface", f"{ec2}:subnet/subnet-1"),
        ("ec2:CreateNetworkInterface", f"{ec2}:security-group/sg-1"),
        ("ec2:DescribeSecurityGroups", "*"),
        ("ec2:DescribeSubnets", "*"),
        ("ec2:DescribeVpcs", "*"),
        ("kms:DescribeKey", "arn:aws:kms:us-east-1:123456789012:key/k"),
        ("kms:CreateGrant", "arn:aws:kms:us-east-1:123456789012:key/k"),
        ("secretsmanager:GetSecretValue", "arn:aws:secretsmanager:us-east-1:123456789012:secret:s"),
    }
    grant = next(c for c in checks_for("sagemaker:CreateNotebookInstance", facts) if c.action == "kms:CreateGrant")
    assert dict(grant.context) == {
        "kms:ViaService": ("sagemaker.us-east-1.amazonaws.com",),
        "kms:GrantIsForAWSResource": ("true",),
    }


def test_a_plain_delete_needs_only_its_own_action():
    checks = checks_for("sagemaker:DeleteNotebookInstance", Facts("aws", "us-east-1", "1", notebook="n"))
    assert [(c.action, c.resource) for c in checks] == [
        ("sagemaker:DeleteNotebookInstance", "arn:aws:sagemaker:us-east-1:1:notebook-instance/n")
    ]


def test_repository_urls_are_not_sagemaker_repositories():
    assert is_repository_url("https://github.com/aws/amazon-sagemaker-examples.git")
    assert is_repository_url("git@example.com:team/repo.git")
    assert not is_repository_url("analytics-notebooks")


def test_decisions_are_read_per_resource_whichever_way_iam_reports_them():
    from notebook_guard.services.permission_check import decisions_of

    results = [
        {"EvalActionName": "s3:GetObject", "EvalResourceName": "arn:aws:s3:::b/k", "EvalDecision": "allowed"},
        {
            "EvalActionName": "ec2:CreateNetworkInterface",
            "EvalResourceName": "*",
            "EvalDecision": "implicitDeny",
            "ResourceSpecificResults": [
                {"EvalResourceName": "arn:aws:ec2:r:a:subnet/subnet-1", "EvalResourceDecision": "allowed"},
                {"EvalResourceName": "arn:aws:ec2:r:a:security-group/sg-1", "EvalResourceDecision": "implicitDeny"},
            ],
        },
    ]
    decisions = decisions_of(results)
    assert decisions[("s3:GetObject", "arn:aws:s3:::b/k")] == "allowed"
    assert decisions[("ec2:CreateNetworkInterface", "arn:aws:ec2:r:a:subnet/subnet-1")] == "allowed"
    assert decisions[("ec2:CreateNetworkInterface", "arn:aws:ec2:r:a:security-group/sg-1")] == "implicitDeny"

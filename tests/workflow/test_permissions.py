"""Each step only makes AWS calls its permission groups (workflow_steps.STEPS) allow: the stack builds each
step's IAM policy from those groups, so a call outside them would be AccessDenied in AWS."""

from __future__ import annotations

from notebook_guard.workflow_steps import STEPS
from tests.workflow.test_faults import full_notebook, root_access_notebook

GROUP_OF_CALL = {
    "sagemaker:DescribeNotebookInstance": "sagemaker:read",
    "sagemaker:ListTags": "sagemaker:read",
    "sagemaker:DescribeNotebookInstanceLifecycleConfig": "sagemaker:read",
    "sagemaker:StopNotebookInstance": "sagemaker:stop",
    "sagemaker:DeleteNotebookInstance": "sagemaker:delete",
    "sagemaker:CreateNotebookInstance": "sagemaker:create",
    "sagemaker:UpdateNotebookInstance": "sagemaker:update",
    "sagemaker:StartNotebookInstance": "sagemaker:start",
    "s3:PutObject": "s3:snapshot-write",
    "s3:GetObject": "s3:snapshot-read",
    "dynamodb:PutItem": "dynamodb:audit-write",  # only the audit table is written with PutItem
    "dynamodb:GetItem": "dynamodb:coordination",  # only the coordination table is read by key
    "dynamodb:UpdateItem": "dynamodb:coordination",  # only the coordination table is updated
    "states:DescribeExecution": "states:describe-remediation",
    "sqs:SendMessage": "sqs:alert-dead-letters",
    "ec2:DescribeSubnets": "ec2:describe-network",
    "ec2:DescribeRouteTables": "ec2:describe-network",
    "ec2:DescribeSecurityGroups": "ec2:describe-network",
    "ec2:DescribeVpcEndpoints": "ec2:describe-network",
    "ec2:DescribeVpcAttribute": "ec2:describe-network",
    "iam:GetRole": "iam:get-role",
    "kms:DescribeKey": "kms:describe-key",
    "sns:Publish": "sns:publish",
}


def test_every_call_of_a_step_is_in_its_permission_groups(harness, monkeypatch):
    calls_by_step: dict[str, set[str]] = {}
    seam, faults = harness.seam, harness.faults
    original = seam.invoke

    def invoke(backend, name, body):
        before = len(faults.calls)
        result = original(backend, name, body)
        calls_by_step.setdefault(seam.invocations[-1], set()).update(faults.calls[before:])
        return result

    monkeypatch.setattr(seam, "invoke", invoke)
    full_notebook(harness, "full")
    assert harness.run("full").status == "SUCCEEDED"
    root_access_notebook(harness, "rooted")
    assert harness.run("rooted").status == "SUCCEEDED"

    granted = {s.key: set(s.permissions) for s in STEPS}
    assert set(calls_by_step) == granted.keys()
    for step, calls in calls_by_step.items():
        needed = {GROUP_OF_CALL[c] for c in calls}
        assert needed <= granted[step], (step, needed - granted[step])

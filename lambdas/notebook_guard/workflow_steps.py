"""The remediation workflow's Lambda steps: the contract between the ASL file, the stack and the tests.

The ASL file (``infra/statemachine/remediation.asl.json``) calls each step through the substitution
``${<key>FunctionArn}``. The CDK stack creates one function (and one role) per step from this table; each role
holds exactly the IAM actions ``notebook_guard.permissions`` documents for the AWS calls the step declares
(``calls``, keyed like ``"sagemaker:StopNotebookInstance"``). The workflow tests route each ARN to ``handler``
in-process and enforce the same policies.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    key: str  # substitution key in the ASL file: ${<key>FunctionArn}
    handler: str  # Lambda handler, "module.function"
    description: str
    timeout_seconds: int
    # The AWS calls the step makes ("<botocore service id>:<Operation>"), each a row of permissions/table.py.
    calls: tuple[str, ...]


DESCRIBE = "sagemaker:DescribeNotebookInstance"
LIST_TAGS = "sagemaker:ListTags"
GET_OBJECT = "s3:GetObject"
PUT_OBJECT = "s3:PutObject"
PUT_ITEM = "dynamodb:PutItem"

STEPS: tuple[Step, ...] = (
    Step(
        "Evaluate",
        "notebook_guard.handlers.steps.evaluate.handler",
        "Re-evaluate the notebook now and decide the path",
        30,
        (DESCRIBE, LIST_TAGS),
    ),
    Step(
        "Snapshot",
        "notebook_guard.handlers.steps.snapshot.handler",
        "Write the notebook's snapshot to S3 and the audit table, then read it back",
        60,
        (DESCRIBE, LIST_TAGS, "sagemaker:DescribeNotebookInstanceLifecycleConfig", PUT_OBJECT, GET_OBJECT, PUT_ITEM),
    ),
    Step(
        "Preflight",
        "notebook_guard.handlers.steps.preflight.handler",
        "Check the target network, role and key, and that the steps that act may (IAM simulation)",
        60,
        (
            "ec2:DescribeSubnets",
            "ec2:DescribeRouteTables",
            "ec2:DescribeSecurityGroups",
            "ec2:DescribeVpcEndpoints",
            "ec2:DescribeVpcAttribute",
            "iam:GetRole",
            "kms:DescribeKey",
            GET_OBJECT,
            "sagemaker:DescribeCodeRepository",
            "iam:SimulatePrincipalPolicy",
        ),
    ),
    Step(
        "Probe",
        "notebook_guard.handlers.steps.probe.handler",
        "Read the notebook's current state",
        30,
        (DESCRIBE,),
    ),
    Step(
        "Stop",
        "notebook_guard.handlers.steps.stop.handler",
        "Stop the notebook",
        30,
        (DESCRIBE, "sagemaker:StopNotebookInstance"),
    ),
    Step(
        "Delete",
        "notebook_guard.handlers.steps.delete.handler",
        "Delete the notebook after re-checking its verified snapshot",
        30,
        (DESCRIBE, GET_OBJECT, PUT_ITEM, "sagemaker:DeleteNotebookInstance"),
    ),
    Step(
        "Create",
        "notebook_guard.handlers.steps.create.handler",
        "Recreate the notebook in the private subnet from its snapshot",
        60,
        (GET_OBJECT, DESCRIBE, LIST_TAGS, "sagemaker:CreateNotebookInstance"),
    ),
    Step(
        "Update",
        "notebook_guard.handlers.steps.update.handler",
        "Disable root access in place",
        30,
        (DESCRIBE, "sagemaker:UpdateNotebookInstance"),
    ),
    Step(
        "Start",
        "notebook_guard.handlers.steps.start.handler",
        "Start the notebook again",
        30,
        (DESCRIBE, "sagemaker:StartNotebookInstance"),
    ),
    Step(
        "Verify",
        "notebook_guard.handlers.steps.verify.handler",
        "Check the recreated notebook passes evaluation and record the outcome",
        30,
        (DESCRIBE, LIST_TAGS, PUT_ITEM),
    ),
    Step(
        "Notify",
        "notebook_guard.handlers.steps.notify.handler",
        "Send the alert for an outcome and record it in the audit table",
        30,
        (DESCRIBE, "sns:Publish", PUT_ITEM),
    ),
)

ASL_PATH = "infra/statemachine/remediation.asl.json"

# The audit table (NG_AUDIT_TABLE): string partition key and string sort key with these names. The sort key
# is "<time>#<execution name>#<what>", so a notebook's history reads in order.
AUDIT_PARTITION_KEY = "notebook_name"
AUDIT_SORT_KEY = "record_id"

# No substitutions besides ${<key>FunctionArn}: configuration reaches the steps through their environment.
EXTRA_SUBSTITUTIONS: dict[str, str] = {}


def substitution_key(step: Step) -> str:
    return f"{step.key}FunctionArn"

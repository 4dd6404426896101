"""The remediation workflow's Lambda steps: the contract between the ASL file, the stack and the tests.

The ASL file (``infra/statemachine/remediation.asl.json``) calls each step through the substitution
``${<key>FunctionArn}``. The CDK stack creates one function (and one role) per step from this table, granting
only the permission groups listed; the workflow tests route each ARN to ``handler`` in-process.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    key: str  # substitution key in the ASL file: ${<key>FunctionArn}
    handler: str  # Lambda handler, "module.function"
    description: str
    timeout_seconds: int
    # Symbolic permission groups; infra maps each to IAM statements scoped to this account and region.
    permissions: tuple[str, ...]


STEPS: tuple[Step, ...] = (
    Step(
        "Evaluate",
        "notebook_guard.handlers.steps.evaluate.handler",
        "Re-evaluate the notebook now and decide the path",
        30,
        ("sagemaker:read",),
    ),
    Step(
        "Snapshot",
        "notebook_guard.handlers.steps.snapshot.handler",
        "Write the notebook's snapshot to S3 and the audit table, then read it back",
        60,
        ("sagemaker:read", "s3:snapshot-write", "s3:snapshot-read", "dynamodb:audit-write"),
    ),
    Step(
        "Preflight",
        "notebook_guard.handlers.steps.preflight.handler",
        "Check the target subnet, security groups, endpoints, role and key",
        60,
        ("ec2:describe-network", "iam:get-role", "kms:describe-key"),
    ),
    Step(
        "Probe",
        "notebook_guard.handlers.steps.probe.handler",
        "Read the notebook's current state",
        30,
        ("sagemaker:read",),
    ),
    Step(
        "Stop",
        "notebook_guard.handlers.steps.stop.handler",
        "Stop the notebook",
        30,
        ("sagemaker:read", "sagemaker:stop"),
    ),
    Step(
        "Delete",
        "notebook_guard.handlers.steps.delete.handler",
        "Delete the notebook after re-checking its verified snapshot",
        30,
        ("sagemaker:read", "sagemaker:delete", "s3:snapshot-read", "dynamodb:audit-write"),
    ),
    Step(
        "Create",
        "notebook_guard.handlers.steps.create.handler",
        "Recreate the notebook in the private subnet from its snapshot",
        60,
        # sagemaker:create must include sagemaker:AddTags (tags given to CreateNotebookInstance need it);
        # with a KmsKeyId SageMaker also checks the caller may DescribeKey and CreateGrant on the key.
        ("sagemaker:read", "sagemaker:create", "iam:pass-role", "kms:describe-key", "kms:grant", "s3:snapshot-read"),
    ),
    Step(
        "Update",
        "notebook_guard.handlers.steps.update.handler",
        "Disable root access in place",
        30,
        ("sagemaker:read", "sagemaker:update"),
    ),
    Step(
        "Start",
        "notebook_guard.handlers.steps.start.handler",
        "Start the notebook again",
        30,
        ("sagemaker:read", "sagemaker:start"),
    ),
    Step(
        "Verify",
        "notebook_guard.handlers.steps.verify.handler",
        "Check the recreated notebook passes evaluation and record the outcome",
        30,
        ("sagemaker:read", "dynamodb:audit-write"),
    ),
    Step(
        "Notify",
        "notebook_guard.handlers.steps.notify.handler",
        "Send the alert for an outcome and record it in the audit table",
        30,
        ("sagemaker:read", "sns:publish", "dynamodb:audit-write"),
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

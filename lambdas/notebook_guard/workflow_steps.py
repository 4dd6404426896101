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
        "Lease",
        "notebook_guard.handlers.steps.lease.handler",
        "Hold the notebook's lease (one workflow per notebook) and release it at the end",
        30,
        # DescribeExecution: whether the holder of a lease that was not released still runs (takeover).
        ("dynamodb:coordination", "states:describe-remediation"),
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
        "Delete the notebook after comparing it with its verified snapshot (re-snapshot on a difference)",
        60,
        # s3:snapshot-write and the lifecycle read of sagemaker:read: the fresh snapshot when the notebook changed.
        (
            "sagemaker:read",
            "sagemaker:delete",
            "s3:snapshot-read",
            "s3:snapshot-write",
            "dynamodb:audit-write",
            "dynamodb:coordination",
        ),
    ),
    Step(
        "Create",
        "notebook_guard.handlers.steps.create.handler",
        "Recreate the notebook in the private subnet from its snapshot",
        # Each invocation's client retries throttling up to 10 attempts (backoff up to ~111 s in all) before the
        # state machine's own retries take over: the timeout leaves room for that.
        300,
        # sagemaker:create must include sagemaker:AddTags (tags given to CreateNotebookInstance need it);
        # with a KmsKeyId SageMaker also checks the caller may DescribeKey and CreateGrant on the key.
        (
            "sagemaker:read",
            "sagemaker:create",
            "iam:pass-role",
            "kms:describe-key",
            "kms:grant",
            "s3:snapshot-read",
            "dynamodb:coordination",
        ),
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
        "Record an outcome in the audit table and send its alert (or park it in the alert dead-letter queue)",
        30,
        ("sagemaker:read", "sns:publish", "sqs:alert-dead-letters", "dynamodb:audit-write"),
    ),
)

ASL_PATH = "infra/statemachine/remediation.asl.json"
# The state machine's TimeoutSeconds (the ASL file's, checked by a test): no execution runs longer, so a lease
# whose holder never released it may be taken over once this has passed.
EXECUTION_TIMEOUT_SECONDS = 172800

# The audit table (NG_AUDIT_TABLE): string partition key and string sort key with these names. The sort key
# is "<time>#<execution name>#<what>", so a notebook's history reads in order.
AUDIT_PARTITION_KEY = "notebook_name"
AUDIT_SORT_KEY = "record_id"

# The coordination table (NG_COORDINATION_TABLE): generic string keys, so that later kinds of item (wait tokens,
# approvals) can live beside the leases; items that may expire carry epoch seconds in COORDINATION_TTL_ATTRIBUTE.
# A notebook's items share the partition "notebook#<ARN>": sort key "lease" (the lease, its attempts and the
# last blocked alert) and "exemption" (the exemption last announced).
COORDINATION_PARTITION_KEY = "pk"
COORDINATION_SORT_KEY = "sk"
COORDINATION_TTL_ATTRIBUTE = "expires_at"

# No substitutions besides ${<key>FunctionArn}: configuration reaches the steps through their environment.
EXTRA_SUBSTITUTIONS: dict[str, str] = {}


def substitution_key(step: Step) -> str:
    return f"{step.key}FunctionArn"

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
    # The buckets its S3 calls touch: "snapshots" (notebook snapshots), "backups" (volume backups, SSE-KMS).
    buckets: tuple[str, ...] = ("snapshots",)


DESCRIBE = "sagemaker:DescribeNotebookInstance"
LIST_TAGS = "sagemaker:ListTags"
GET_OBJECT = "s3:GetObject"
PUT_OBJECT = "s3:PutObject"
PUT_ITEM = "dynamodb:PutItem"  # the audit table (append-only)
GET_ITEM = "dynamodb:GetItem"  # the coordination table (lease, attempts, alert markers)
UPDATE_ITEM = "dynamodb:UpdateItem"  # the coordination table, conditionally
DELETE_ITEM = "dynamodb:DeleteItem"  # the coordination table, conditionally (a wait's record)
SEND_TASK_SUCCESS = "sfn:SendTaskSuccess"  # the answer to a callback task (a wait)
LIFECYCLE = "sagemaker:DescribeNotebookInstanceLifecycleConfig"
# A notebook's Security Hub control findings: found, then updated (NOTIFIED, notes, RESOLVED).
FINDINGS = ("securityhub:GetFindings", "securityhub:BatchUpdateFindings")
ALERT = ("sns:Publish", "sqs:SendMessage")  # an alert SNS refuses is parked in the dead-letter queue
SUBNETS = "ec2:DescribeSubnets"

STEPS: tuple[Step, ...] = (
    Step(
        "Evaluate",
        "notebook_guard.handlers.steps.evaluate.handler",
        "Re-evaluate the notebook now and decide the path",
        30,
        (DESCRIBE, LIST_TAGS),
    ),
    Step(
        "Lease",
        "notebook_guard.handlers.steps.lease.handler",
        "Hold the notebook's lease (one workflow per notebook), mark its findings NOTIFIED, release it at the end",
        30,
        # DescribeExecution: whether the holder of a lease that was not released still runs (takeover).
        (GET_ITEM, UPDATE_ITEM, "sfn:DescribeExecution", *FINDINGS),
    ),
    Step(
        "Snapshot",
        "notebook_guard.handlers.steps.snapshot.handler",
        "Write the notebook's snapshot to S3 and the audit table, then read it back",
        60,
        # DescribeSubnets: whether the target subnet has IPv6, which decides a dualstack notebook's address type.
        (DESCRIBE, LIST_TAGS, LIFECYCLE, SUBNETS, PUT_OBJECT, GET_OBJECT, PUT_ITEM),
    ),
    Step(
        "Preflight",
        "notebook_guard.handlers.steps.preflight.handler",
        "Check the path to the target subnets, the role, key, lifecycle configuration and repositories, the need for "
        "the internet, and that the steps that act may (IAM simulation)",
        60,
        (
            SUBNETS,
            "ec2:DescribeRouteTables",
            "ec2:DescribeSecurityGroups",
            "ec2:DescribeVpcEndpoints",
            "ec2:DescribeVpcAttribute",
            "ec2:DescribeNatGateways",
            "iam:GetRole",
            "kms:DescribeKey",
            "kms:GetKeyPolicy",
            GET_OBJECT,
            "sagemaker:DescribeCodeRepository",
            "iam:SimulatePrincipalPolicy",
        ),
    ),
    Step(
        "Await",
        "notebook_guard.handlers.steps.awaiting.handler",
        "Register a wait for SageMaker's state-change event (a callback task) and answer it at once if the notebook "
        "is already there",
        30,
        # The wait's record (UpdateItem), the notebook now, the answer to its own task, the record's removal.
        (UPDATE_ITEM, DESCRIBE, SEND_TASK_SUCCESS, DELETE_ITEM),
    ),
    Step(
        "Approval",
        "notebook_guard.handlers.steps.approval.handler",
        "Ask a person to approve the remediation: keep the task token, alert how to approve, note the findings",
        30,
        # The token in the coordination table (UpdateItem), the request in the audit table (PutItem).
        (UPDATE_ITEM, PUT_ITEM, *ALERT, *FINDINGS),
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
        # ListTags: the replacement this execution created is recognised by its execution tag.
        (DESCRIBE, LIST_TAGS, "sagemaker:StopNotebookInstance"),
    ),
    Step(
        "Delete",
        "notebook_guard.handlers.steps.delete.handler",
        "Delete the notebook after comparing it with its verified snapshot (re-snapshot on a difference)",
        60,
        # A difference since the snapshot takes a fresh one (lifecycle read, PutObject, read back, audit record);
        # the lease item records the attempt's snapshot.
        (
            DESCRIBE,
            LIST_TAGS,
            LIFECYCLE,
            SUBNETS,
            GET_OBJECT,
            PUT_OBJECT,
            PUT_ITEM,
            GET_ITEM,
            UPDATE_ITEM,
            "sagemaker:DeleteNotebookInstance",
        ),
        # With data preservation it re-reads the backup's completion marker and manifest before deleting.
        buckets=("snapshots", "backups"),
    ),
    Step(
        "Create",
        "notebook_guard.handlers.steps.create.handler",
        "Recreate the notebook in the private subnet from its snapshot",
        # Each invocation's client retries throttling up to 10 attempts (backoff up to ~111 s in all) before the
        # state machine's own retries take over: the timeout leaves room for that.
        300,
        (GET_OBJECT, DESCRIBE, LIST_TAGS, GET_ITEM, UPDATE_ITEM, "sagemaker:CreateNotebookInstance"),
    ),
    Step(
        "Discard",
        "notebook_guard.handlers.steps.discard.handler",
        "Delete a replacement this execution created that failed for lack of capacity, so Create tries another zone",
        60,
        (DESCRIBE, LIST_TAGS, GET_ITEM, PUT_ITEM, "sagemaker:DeleteNotebookInstance"),
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
        "Backup",
        "notebook_guard.handlers.steps.backup.handler",
        "Back up the notebook's storage volume and restore it: notebook-guard's lifecycle configurations, the notebook "
        "role's access to its backup, the markers the scripts write",
        60,
        (
            DESCRIBE,
            LIST_TAGS,
            LIFECYCLE,
            "sagemaker:CreateNotebookInstanceLifecycleConfig",
            "sagemaker:DeleteNotebookInstanceLifecycleConfig",
            "sagemaker:UpdateNotebookInstance",
            "kms:CreateGrant",
            "kms:RetireGrant",
            "s3:GetBucketPolicy",
            "s3:PutBucketPolicy",
            "s3:ListObjectsV2",
            GET_OBJECT,
            GET_ITEM,
            UPDATE_ITEM,
            PUT_ITEM,
        ),
        buckets=("snapshots", "backups"),
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
        "Record an outcome in the audit table, write it on the notebook's findings and send its alert",
        30,
        # UpdateItem: the coordination table remembers that Security Hub is not enabled (said once);
        # BatchImportFindings: notebook-guard's own finding (own_findings).
        (DESCRIBE, *ALERT, PUT_ITEM, UPDATE_ITEM, *FINDINGS, "securityhub:BatchImportFindings"),
    ),
)

ASL_PATH = "infra/statemachine/remediation.asl.json"
# The state machine's TimeoutSeconds (the ASL file's, checked by a test): no execution runs longer, so a lease
# whose holder never released it may be taken over once this has passed. 48 hours for the remediation itself plus
# the longest approval wait a deployment may choose (7 days, settings.MAX_APPROVAL_TIMEOUT_SECONDS).
REMEDIATION_SECONDS = 172800
MAX_APPROVAL_WAIT_SECONDS = 7 * 86400
EXECUTION_TIMEOUT_SECONDS = REMEDIATION_SECONDS + MAX_APPROVAL_WAIT_SECONDS

# The audit table (NG_AUDIT_TABLE): string partition key and string sort key with these names. The sort key
# is "<time>#<execution name>#<what>", so a notebook's history reads in order.
AUDIT_PARTITION_KEY = "notebook_name"
AUDIT_SORT_KEY = "record_id"

# The coordination table (NG_COORDINATION_TABLE): generic string keys, so that later kinds of item (wait tokens,
# approvals) can live beside the leases; items that may expire carry epoch seconds in COORDINATION_TTL_ATTRIBUTE.
# A notebook's items share the partition "notebook#<ARN>": sort key "lease" (the lease, its attempts and the
# last blocked alert), "exemption" (the exemption last announced) and "wait" (the callback wait in progress: its
# task token, target and incarnation; services/callbacks.py). An execution waiting for a person has
# "execution#<ARN>" / "approval" (its task token, services.approvals); "account#<id>#<region>" /
# "securityhub-not-enabled" remembers that Security Hub was found off (said once).
COORDINATION_PARTITION_KEY = "pk"
COORDINATION_SORT_KEY = "sk"
COORDINATION_TTL_ATTRIBUTE = "expires_at"

# The callback waits: Task states with this Resource invoke ${AwaitFunctionArn} with the task token (a contract
# the ASL graph test checks: every such task has a heartbeat and falls back to its wait's polling loop).
CALLBACK_RESOURCE = "arn:aws:states:::lambda:invoke.waitForTaskToken"

# No substitutions besides ${<key>FunctionArn}: configuration reaches the steps through their environment.
EXTRA_SUBSTITUTIONS: dict[str, str] = {}


def substitution_key(step: Step) -> str:
    return f"{step.key}FunctionArn"

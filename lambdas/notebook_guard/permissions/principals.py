"""Who calls what: each function of the stack, and the CLI's commands, with the AWS calls they make.

The workflow steps declare their calls in ``workflow_steps.STEPS``; the detection functions and the CLI's
commands here. ``network`` says where the principal creates or starts notebooks: ``"target"`` (the workflow
recreates only into the target subnets and security groups) or ``"any"`` (an operator restoring a notebook
into the network it had).
"""

from __future__ import annotations

from dataclasses import dataclass

from notebook_guard.workflow_steps import STEPS

DESCRIBE = "sagemaker:DescribeNotebookInstance"
LIST_TAGS = "sagemaker:ListTags"
LIST = "sagemaker:ListNotebookInstances"
PREFLIGHT_READS = (
    "ec2:DescribeSubnets",
    "ec2:DescribeRouteTables",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeVpcEndpoints",
    "ec2:DescribeVpcAttribute",
    "ec2:DescribeNatGateways",
    "iam:GetRole",
    "kms:DescribeKey",
    "kms:GetKeyPolicy",
)


@dataclass(frozen=True)
class Principal:
    name: str
    calls: tuple[str, ...]
    network: str = "target"  # "target" | "any": where it creates or starts notebooks
    description: str = ""
    # The buckets its S3 calls touch: "snapshots" (notebook snapshots), "backups" (volume backups, SSE-KMS).
    buckets: tuple[str, ...] = ("snapshots",)


# Both start workflows under the notebook's lease (the coordination table; DescribeExecution tells whether a holder
# that did not release still runs) and park an alert SNS refuses in the alert dead-letter queue.
COORDINATION = ("dynamodb:GetItem", "dynamodb:UpdateItem", "sfn:DescribeExecution", "sfn:StartExecution")
ALERTING = ("sns:Publish", "sqs:SendMessage")
INTAKE = Principal(
    "Intake",
    # ListNotebookInstances: a Security Hub finding names the notebook by ARN, whose name part is lower-cased.
    (DESCRIBE, LIST_TAGS, LIST, *COORDINATION, *ALERTING),
    description="Evaluate the notebook an event or a Security Hub finding names, start the workflow, alert",
)
SWEEP = Principal(
    "Sweep",
    (LIST, DESCRIBE, LIST_TAGS, *COORDINATION, *ALERTING),
    description="Evaluate every notebook of the region, hand violators on",
)
# Ends the workflow's callback waits: on SageMaker's state-change events and on its schedule (the reconciler). It
# reads the wait records (by key, and all of them), Describes the notebook, answers the task, deletes the record.
RESUME = Principal(
    "Resume",
    (
        "dynamodb:GetItem",
        "dynamodb:Scan",
        "dynamodb:DeleteItem",
        DESCRIBE,
        "sfn:SendTaskSuccess",
    ),
    description="End the workflow's waits on SageMaker's state-change events and on a schedule",
)
# A Security Hub custom action (approve or reject) on a notebook's finding: the pending approval of the execution
# holding the notebook's lease, answered.
APPROVAL_ACTION = Principal(
    "ApprovalAction",
    ("dynamodb:GetItem", "sfn:SendTaskSuccess", "sfn:SendTaskFailure"),
    description="Approve or reject a pending remediation from a Security Hub custom action",
)
# The stack's custom resource that creates (and deletes) the two Security Hub custom actions.
ACTION_TARGETS = Principal(
    "ActionTargets",
    ("securityhub:CreateActionTarget", "securityhub:DeleteActionTarget"),
    description="Create and delete the Security Hub custom actions that approve or reject a remediation",
)
CLI_AUDIT = Principal(
    "audit",
    (
        LIST,
        DESCRIBE,
        LIST_TAGS,
        "ec2:DescribeRegions",  # --all-regions
        "cloudformation:DescribeStacks",  # the stack's own subnets, when an approved list is set
        "sts:GetCallerIdentity",  # the account of a machine-readable report when no notebook names it
    ),
    "any",
    "notebook-guard audit (read-only)",
)
CLI_PLAN = Principal(
    "plan",
    (
        DESCRIBE,
        LIST_TAGS,
        "sagemaker:DescribeNotebookInstanceLifecycleConfig",
        "sagemaker:DescribeCodeRepository",
        *PREFLIGHT_READS,
    ),
    "any",
    "notebook-guard plan NAME (read-only)",
)
CLI_RESTORE = Principal(
    "restore",
    (
        "s3:GetObject",
        DESCRIBE,
        "sagemaker:DescribeCodeRepository",
        "iam:GetRole",
        "kms:DescribeKey",
        # Whether the subnet the snapshot planned has IPv6 (a dualstack request there would fail).
        "ec2:DescribeSubnets",
        "sagemaker:CreateNotebookInstance",
        # --data: the backup verified, the notebook role's access to it for the restore, the restore configuration.
        "s3:ListObjectsV2",
        "s3:GetBucketEncryption",
        "s3:GetBucketPolicy",
        "s3:PutBucketPolicy",
        "kms:CreateGrant",
        "kms:RevokeGrant",
        "sagemaker:CreateNotebookInstanceLifecycleConfig",
        "sts:GetCallerIdentity",  # the account of --output json
    ),
    "any",
    "notebook-guard restore SNAPSHOT [--data BACKUP]",
    buckets=("snapshots", "backups"),
)
CLI_APPROVE = Principal(
    "approve",
    ("sts:GetCallerIdentity", "dynamodb:GetItem", "sfn:SendTaskSuccess"),
    "any",
    "notebook-guard approve EXECUTION --reason TEXT",
)
CLI_REJECT = Principal(
    "reject",
    ("sts:GetCallerIdentity", "dynamodb:GetItem", "sfn:SendTaskFailure"),
    "any",
    "notebook-guard reject EXECUTION --reason TEXT",
)
# Starts the deployed workflow for one notebook, having looked at its lease (the workflow acquires it).
CLI_REMEDIATE = Principal(
    "remediate",
    (
        "cloudformation:DescribeStacks",  # the stack's StateMachineArn and CoordinationTableName outputs
        DESCRIBE,
        "dynamodb:GetItem",  # the notebook's lease
        "sfn:DescribeExecution",  # whether its holder still runs; --wait
        "sts:GetCallerIdentity",  # who asked, in the execution input
        "sfn:StartExecution",
    ),
    "any",
    "notebook-guard remediate NAME",
)
DETECTION = (INTAKE, SWEEP, RESUME, APPROVAL_ACTION)
CLI = (CLI_AUDIT, CLI_PLAN, CLI_REMEDIATE, CLI_RESTORE, CLI_APPROVE, CLI_REJECT)
STACK = (ACTION_TARGETS,)

# The steps whose roles the Preflight proves, before anything destructive, by simulating their policies.
SIMULATED_STEPS = ("Stop", "Delete", "Create", "Discard", "Update", "Start", "Backup")


def step_principals() -> tuple[Principal, ...]:
    return tuple(Principal(s.key, s.calls, description=s.description, buckets=s.buckets) for s in STEPS)


def all_principals() -> tuple[Principal, ...]:
    return (*step_principals(), *DETECTION, *CLI, *STACK)


def by_name(name: str) -> Principal:
    for principal in all_principals():
        if principal.name == name:
            return principal
    raise KeyError(f"no principal named {name!r}")

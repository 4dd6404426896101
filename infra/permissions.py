"""Symbolic permission groups -> least-privilege IAM statements.

``workflow_steps.STEPS`` (and the detection functions) name what a function may do ("sagemaker:stop",
"s3:snapshot-write"); this module is the one place that says which actions on which resources that means.
Every resource is scoped to this account and region. A wildcard resource appears only on actions that do not
support resource-level permissions (list/describe calls, X-Ray); each such grant carries the reason that the
cdk-nag suppression reports. No destructive action gets ``Resource: "*"``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from infra import constants


class PermissionGroupError(ValueError):
    """A function asks for a permission group this module does not define, or one whose resource is missing."""


@dataclass(frozen=True)
class Resources:
    """What the statements point at: built by the stack, passed to every group."""

    snapshot_bucket_arn: str | None = None
    audit_table_arn: str | None = None
    alert_topic_arn: str | None = None
    alert_key: kms.IKey | None = None  # the CMK of a topic this stack created; None for an existing topic
    state_machine_arn: str | None = None
    # arn:...:execution:<state machine name>:* (the executions whose status a lease holder check reads)
    remediation_executions_arn: str | None = None
    coordination_table_arn: str | None = None
    alert_dead_letter_queue_arn: str | None = None
    passrole_role_pattern: str = "*"


@dataclass(frozen=True)
class Grant:
    statements: tuple[iam.PolicyStatement, ...]
    # cdk-nag IAM5 findings this grant causes ("Resource::<arn>", "Action::<action>") -> why it is acceptable.
    wildcard_reasons: dict[str, str] = field(default_factory=dict)


def notebook_arns(scope: Construct) -> str:
    # SageMaker lower-cases names in ARNs; "*" covers every notebook instance of this account and region.
    return Stack.of(scope).format_arn(service="sagemaker", resource="notebook-instance", resource_name="*")


def lifecycle_config_arns(scope: Construct) -> str:
    return Stack.of(scope).format_arn(
        service="sagemaker", resource="notebook-instance-lifecycle-config", resource_name="*"
    )


def _sagemaker(*actions: str) -> Callable[[Construct, Resources], Grant]:
    def build(scope: Construct, _: Resources) -> Grant:
        return Grant(
            (iam.PolicyStatement(actions=[f"sagemaker:{a}" for a in actions], resources=[notebook_arns(scope)]),),
            {
                f"Resource::{notebook_arns(scope)}": (
                    "Notebook instances are chosen at run time from events and sweeps; the grant covers the notebook "
                    "instances of this account and region only."
                )
            },
        )

    return build


def _sagemaker_list(scope: Construct, _: Resources) -> Grant:
    return Grant(
        (iam.PolicyStatement(actions=["sagemaker:ListNotebookInstances"], resources=["*"]),),
        {"Resource::*": "sagemaker:ListNotebookInstances does not support resource-level permissions (list only)."},
    )


def _sagemaker_lifecycle(scope: Construct, _: Resources) -> Grant:
    return Grant(
        (
            iam.PolicyStatement(
                actions=[
                    "sagemaker:CreateNotebookInstanceLifecycleConfig",
                    "sagemaker:DescribeNotebookInstanceLifecycleConfig",
                    "sagemaker:DeleteNotebookInstanceLifecycleConfig",
                ],
                resources=[lifecycle_config_arns(scope)],
            ),
        ),
        {
            f"Resource::{lifecycle_config_arns(scope)}": (
                "Backup/restore lifecycle configurations are named per notebook at run time; scoped to this account "
                "and region."
            )
        },
    )


def _role_arn(scope: Construct, pattern: str) -> str:
    return Stack.of(scope).format_arn(service="iam", region="", resource="role", resource_name=pattern)


_ROLE_REASON = (
    "Notebook execution roles are read from the notebook at run time; scoped to roles of this account matching "
    "passrole_role_pattern."
)


def _pass_role(scope: Construct, res: Resources) -> Grant:
    return Grant(
        (
            iam.PolicyStatement(
                actions=["iam:PassRole"],
                resources=[_role_arn(scope, res.passrole_role_pattern)],
                conditions={"StringEquals": {"iam:PassedToService": constants.SAGEMAKER_SERVICE}},
            ),
        ),
        {
            f"Resource::{_role_arn(scope, res.passrole_role_pattern)}": _ROLE_REASON + " PassRole is "
            "further limited to SageMaker (iam:PassedToService)."
        },
    )


def _get_role(scope: Construct, res: Resources) -> Grant:
    return Grant(
        (iam.PolicyStatement(actions=["iam:GetRole"], resources=[_role_arn(scope, res.passrole_role_pattern)]),),
        {f"Resource::{_role_arn(scope, res.passrole_role_pattern)}": _ROLE_REASON},
    )


def _key_arns(scope: Construct) -> str:
    return Stack.of(scope).format_arn(service="kms", resource="key", resource_name="*")


_KEY_REASON = "A notebook's KMS key is read from the notebook at run time; scoped to keys of this account and region."


def _describe_key(scope: Construct, _: Resources) -> Grant:
    return Grant(
        (iam.PolicyStatement(actions=["kms:DescribeKey"], resources=[_key_arns(scope)]),),
        {f"Resource::{_key_arns(scope)}": _KEY_REASON},
    )


def _kms_grant(scope: Construct, _: Resources) -> Grant:
    via_sagemaker = {"kms:ViaService": f"sagemaker.{Stack.of(scope).region}.amazonaws.com"}
    return Grant(
        (
            iam.PolicyStatement(
                actions=["kms:CreateGrant"],
                resources=[_key_arns(scope)],
                conditions={"StringEquals": via_sagemaker, "Bool": {"kms:GrantIsForAWSResource": "true"}},
            ),
            iam.PolicyStatement(
                actions=["kms:DescribeKey"], resources=[_key_arns(scope)], conditions={"StringEquals": via_sagemaker}
            ),
        ),
        {
            f"Resource::{_key_arns(scope)}": _KEY_REASON
            + " Usable only through SageMaker (kms:ViaService) for grants to AWS resources."
        },
    )


def _describe_network(scope: Construct, _: Resources) -> Grant:
    return Grant(
        (
            iam.PolicyStatement(
                actions=[
                    "ec2:DescribeSubnets",
                    "ec2:DescribeSecurityGroups",
                    "ec2:DescribeVpcs",
                    "ec2:DescribeVpcAttribute",
                    "ec2:DescribeVpcEndpoints",
                    "ec2:DescribeRouteTables",
                ],
                resources=["*"],
            ),
        ),
        {"Resource::*": "EC2 Describe* actions do not support resource-level permissions (read only)."},
    )


def _required(value: str | None, group: str, what: str) -> str:
    if value is None:
        raise PermissionGroupError(f"permission group {group} needs the {what}, which this stack did not provide")
    return value


_OBJECTS_REASON = "Snapshot object keys are per notebook and execution; scoped to the snapshot bucket's objects."


def _snapshot_write(scope: Construct, res: Resources) -> Grant:
    bucket = _required(res.snapshot_bucket_arn, "s3:snapshot-write", "snapshot bucket")
    return Grant(
        (iam.PolicyStatement(actions=["s3:PutObject"], resources=[f"{bucket}/*"]),),
        {f"Resource::{bucket}/*": _OBJECTS_REASON},
    )


def _snapshot_read(scope: Construct, res: Resources) -> Grant:
    bucket = _required(res.snapshot_bucket_arn, "s3:snapshot-read", "snapshot bucket")
    return Grant(
        (
            iam.PolicyStatement(actions=["s3:GetObject", "s3:GetObjectVersion"], resources=[f"{bucket}/*"]),
            iam.PolicyStatement(actions=["s3:ListBucket"], resources=[bucket]),
        ),
        {f"Resource::{bucket}/*": _OBJECTS_REASON},
    )


def _audit_write(scope: Construct, res: Resources) -> Grant:
    table = _required(res.audit_table_arn, "dynamodb:audit-write", "audit table")
    return Grant((iam.PolicyStatement(actions=["dynamodb:PutItem", "dynamodb:UpdateItem"], resources=[table]),))


def _audit_read(scope: Construct, res: Resources) -> Grant:
    table = _required(res.audit_table_arn, "dynamodb:audit-read", "audit table")
    return Grant((iam.PolicyStatement(actions=["dynamodb:GetItem", "dynamodb:Query"], resources=[table]),))


def _publish(scope: Construct, res: Resources) -> Grant:
    topic = _required(res.alert_topic_arn, "sns:publish", "alert topic")
    statements = [iam.PolicyStatement(actions=["sns:Publish"], resources=[topic])]
    if res.alert_key is not None:
        # Publishing to a KMS-encrypted topic needs the key (SNS encrypts with a data key on the caller's behalf).
        statements.append(
            iam.PolicyStatement(actions=["kms:GenerateDataKey*", "kms:Decrypt"], resources=[res.alert_key.key_arn])
        )
    return Grant(
        tuple(statements),
        {
            "Action::kms:GenerateDataKey*": "GenerateDataKey and "
            "GenerateDataKeyWithoutPlaintext on the alert topic's key, which SNS needs."
        },
    )


def _start_remediation(scope: Construct, res: Resources) -> Grant:
    machine = _required(res.state_machine_arn, "states:start-remediation", "state machine")
    return Grant((iam.PolicyStatement(actions=["states:StartExecution"], resources=[machine]),))


def _describe_remediation(scope: Construct, res: Resources) -> Grant:
    executions = _required(res.remediation_executions_arn, "states:describe-remediation", "state machine")
    return Grant(
        (iam.PolicyStatement(actions=["states:DescribeExecution"], resources=[executions]),),
        {
            f"Resource::{executions}": (
                "Execution names are unique per attempt and chosen at run time; read-only DescribeExecution is "
                "scoped to the executions of the remediation state machine."
            )
        },
    )


def _coordination(scope: Construct, res: Resources) -> Grant:
    table = _required(res.coordination_table_arn, "dynamodb:coordination", "coordination table")
    return Grant(
        (iam.PolicyStatement(actions=["dynamodb:GetItem", "dynamodb:UpdateItem"], resources=[table]),),
    )


def _alert_dead_letters(scope: Construct, res: Resources) -> Grant:
    queue = _required(res.alert_dead_letter_queue_arn, "sqs:alert-dead-letters", "alert dead-letter queue")
    return Grant((iam.PolicyStatement(actions=["sqs:SendMessage"], resources=[queue]),))


GROUPS: dict[str, Callable[[Construct, Resources], Grant]] = {
    "sagemaker:read": _sagemaker("DescribeNotebookInstance", "ListTags"),
    "sagemaker:list": _sagemaker_list,
    "sagemaker:stop": _sagemaker("StopNotebookInstance"),
    "sagemaker:start": _sagemaker("StartNotebookInstance"),
    "sagemaker:update": _sagemaker("UpdateNotebookInstance"),
    "sagemaker:delete": _sagemaker("DeleteNotebookInstance"),
    # Create with tags needs AddTags on the new notebook too.
    "sagemaker:create": _sagemaker("CreateNotebookInstance", "AddTags"),
    "sagemaker:lifecycle-config": _sagemaker_lifecycle,
    "iam:pass-role": _pass_role,
    "iam:get-role": _get_role,
    "kms:describe-key": _describe_key,
    "kms:grant": _kms_grant,
    "ec2:describe-network": _describe_network,
    "s3:snapshot-write": _snapshot_write,
    "s3:snapshot-read": _snapshot_read,
    "dynamodb:audit-write": _audit_write,
    "dynamodb:audit-read": _audit_read,
    "sns:publish": _publish,
    "states:start-remediation": _start_remediation,
    # Whether the holder of a lease that was not released still runs (needs the state machine: see LATE_GROUPS).
    "states:describe-remediation": _describe_remediation,
    "dynamodb:coordination": _coordination,
    "sqs:alert-dead-letters": _alert_dead_letters,
}

# Groups whose resource is the state machine, which the step functions cannot reference in their own role policy
# (the machine's definition references the functions, which depend on their role's policy: a cycle). The
# workflow grants these to its steps in a separate policy created after the state machine.
LATE_GROUPS = frozenset({"states:describe-remediation"})


def grants_for(scope: Construct, groups: tuple[str, ...], resources: Resources, *, owner: str) -> list[Grant]:
    """The grants of ``groups``; an unknown group fails synth naming the function that asked for it."""
    unknown = [g for g in groups if g not in GROUPS]
    if unknown:
        raise PermissionGroupError(
            f"{owner} asks for unknown permission group(s) {', '.join(unknown)}; "
            f"known: {', '.join(GROUPS)} (add new ones to infra/permissions.py)"
        )
    return [GROUPS[group](scope, resources) for group in dict.fromkeys(groups)]

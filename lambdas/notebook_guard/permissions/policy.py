"""Render a principal's IAM policy from the permission table, scoped to concrete resource names.

Pure: the names may be CloudFormation tokens (the stack passes ``Aws.PARTITION``, a bucket's ARN...) or plain
strings (the local simulation deploys the same documents into moto). Scoping:

- SageMaker actions: this account and region's notebook instances (``notebook-instance/*``), lifecycle
  configurations and code repositories: the workflow learns names at run time.
- ``iam:PassRole``/``iam:GetRole``: roles matching ``passrole_role_pattern``; PassRole only to SageMaker.
- ``ec2:CreateNetworkInterface``: the target subnets and security groups for a create (the workflow only
  recreates there), this account's network interfaces; for a start, the subnets a compliant notebook may be
  in (the approved ones plus the targets, or any of this account and region when no list is set).
- ``kms:CreateGrant`` only through SageMaker (``kms:ViaService``) and for AWS resources
  (``kms:GrantIsForAWSResource``).
- Snapshot bucket objects, the audit table, the alert topic (and its key), the state machine, the step roles.
- Security Hub: this account and region's hub (``hub/default``), ``BatchUpdateFindings`` only for the workflow
  statuses notebook-guard sets (``securityhub:ASFFSyntaxPath/Workflow.Status``), ``BatchImportFindings`` only
  into the account's own default product and for its own account (``securityhub:TargetAccount``).
- ``states:SendTaskSuccess``/``SendTaskFailure``: the remediation state machine.
- ``"*"`` only for actions without resource-level permissions (Describe/List).

Each wildcard resource carries the reason the stack's cdk-nag acknowledgement gives.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from notebook_guard.permissions import table
from notebook_guard.permissions.principals import Principal


class MissingName(ValueError):
    """A principal's call needs a resource whose name the caller did not give."""


@dataclass(frozen=True)
class Names:
    partition: str
    region: str
    account: str
    snapshot_bucket_arn: str | None = None
    audit_table_arn: str | None = None
    coordination_table_arn: str | None = None
    alert_dead_letter_queue_arn: str | None = None
    remediation_executions_arn: str | None = None  # arn:...:execution:<state machine name>:*
    alert_topic_arn: str | None = None
    alert_key_arn: str | None = None  # the topic's customer managed key, when it has one
    state_machine_arn: str | None = None
    target_subnet_ids: tuple[str, ...] = ()
    target_security_group_ids: tuple[str, ...] = ()
    approved_subnet_ids: tuple[str, ...] = ()
    passrole_role_pattern: str = "*"
    step_role_arns: tuple[str, ...] = ()  # the roles the Preflight simulates
    # Security Hub: the workflow statuses notebook-guard may set on findings (SUPPRESSED only when exempt notebooks'
    # findings are to be suppressed), and whether it imports its own findings (BatchImportFindings granted).
    finding_statuses: tuple[str, ...] = ("NOTIFIED", "RESOLVED")
    own_findings: bool = False

    def arn(self, kind: str, name: str) -> str:
        return table.ARN_TEMPLATES[kind].format(
            partition=self.partition, region=self.region, account=self.account, name=name
        )


@dataclass(frozen=True)
class Policy:
    statements: tuple[dict, ...]
    # cdk-nag IAM5 findings ("Resource::<arn>", "Action::<action>") -> why the wildcard is acceptable.
    wildcard_reasons: dict[str, str] = field(default_factory=dict)

    @property
    def document(self) -> dict:
        return {"Version": "2012-10-17", "Statement": [dict(s) for s in self.statements]}

    def actions(self) -> set[str]:
        return {a for s in self.statements for a in _as_list(s["Action"])}


_REASONS = {
    "notebook-instance": "Notebook instances are chosen at run time from events and sweeps; the grant covers the "
    "notebook instances of this account and region only.",
    "notebook-instance-lifecycle-config": "Lifecycle configurations are named by the notebook being snapshotted; "
    "scoped to this account and region.",
    "code-repository": "Code repositories are named by the notebook being remediated; scoped to this account and "
    "region.",
    "role": "Notebook execution roles are read from the notebook at run time; scoped to roles of this account "
    "matching passrole_role_pattern (PassRole only to SageMaker, iam:PassedToService).",
    "key": "A notebook's KMS key is read from the notebook at run time; scoped to keys of this account and region "
    "(CreateGrant only through SageMaker, for AWS resources).",
    "network-interface": "SageMaker creates (and deletes) the notebook's network interface, whose id is not known "
    "before; scoped to network interfaces of this account and region.",
    "subnet": "A started notebook keeps the subnet it has; any subnet of this account and region passes the "
    "evaluation when no approved_subnet_ids are set.",
    "security-group": "A started (or restored) notebook keeps its own security groups; scoped to this account and "
    "region.",
    "secret": "A private Git repository's secret is named by the notebook's code repository; scoped to secrets of "
    "this account and region.",
    "object": "Snapshot object keys are per notebook and execution; scoped to the snapshot bucket's objects.",
    "bucket": "The operator names the snapshot bucket on the command line.",
    "execution": "Execution names are unique per attempt and chosen at run time; read-only DescribeExecution is "
    "scoped to the executions of the remediation state machine.",
    "stack": "audit reads the outputs of the stack it is told (--stack-name); read-only, this account only.",
}
# Conditions the stack puts on an action, and the context keys AWS sends that they test.
CONDITIONS = {
    "iam:PassRole": lambda names: {"StringEquals": {"iam:PassedToService": table.SAGEMAKER}},
    "kms:CreateGrant": lambda names: {
        "StringEquals": {"kms:ViaService": f"sagemaker.{names.region}.amazonaws.com"},
        "Bool": {"kms:GrantIsForAWSResource": "true"},
    },
    # A request that sets no status (a note only) sends no such key: IfExists lets it through.
    "securityhub:BatchUpdateFindings": lambda names: {
        "StringEqualsIfExists": {"securityhub:ASFFSyntaxPath/Workflow.Status": list(names.finding_statuses)}
    },
    "securityhub:BatchImportFindings": lambda names: {"StringEquals": {"securityhub:TargetAccount": names.account}},
}
_ACTION_WILDCARDS = {
    "kms:GenerateDataKey*": "GenerateDataKey and GenerateDataKeyWithoutPlaintext on the alert topic's key, which "
    "SNS needs to publish to an encrypted topic."
}


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def _required(value, principal: Principal, call: str, what: str):
    if not value:
        raise MissingName(f"{principal.name} calls {call}, which needs the {what}: none was given")
    return value


def _subnets_for_start(names: Names) -> list[str]:
    if not names.approved_subnet_ids:
        return [names.arn("subnet", "*")]
    ids = dict.fromkeys((*names.approved_subnet_ids, *names.target_subnet_ids))
    return [names.arn("subnet", i) for i in ids]


def resources_of(need: table.Need, call: str, principal: Principal, names: Names) -> list[str]:
    """The resources ``principal`` is granted ``need.action`` on, for the needs of ``call``."""
    kind = need.resource
    anywhere = principal.network == "any"
    if kind == "*":
        return ["*"]
    if kind in ("notebook-instance", "notebook-instance-lifecycle-config", "code-repository", "key",
                "network-interface", "secret", "stack"):
        return [names.arn(kind, "*")]
    if kind == "role":
        return [names.arn("role", names.passrole_role_pattern)]
    if kind == "subnet":
        if anywhere:
            return [names.arn("subnet", "*")]
        if call == "sagemaker:StartNotebookInstance":
            return _subnets_for_start(names)
        ids = _required(names.target_subnet_ids, principal, call, "target subnets")
        return [names.arn("subnet", i) for i in ids]
    if kind == "security-group":
        if anywhere or call == "sagemaker:StartNotebookInstance":
            return [names.arn("security-group", "*")]
        ids = _required(names.target_security_group_ids, principal, call, "target security groups")
        return [names.arn("security-group", i) for i in ids]
    if kind == "bucket":
        return [_required(names.snapshot_bucket_arn, principal, call, "snapshot bucket")]
    if kind == "object":
        return [_required(names.snapshot_bucket_arn, principal, call, "snapshot bucket") + "/*"]
    if kind == "table":
        return [_required(names.audit_table_arn, principal, call, "audit table")]
    if kind == "coordination-table":
        return [_required(names.coordination_table_arn, principal, call, "coordination table")]
    if kind == "queue":
        return [_required(names.alert_dead_letter_queue_arn, principal, call, "alert dead-letter queue")]
    if kind == "execution":
        return [_required(names.remediation_executions_arn, principal, call, "state machine's executions")]
    if kind == "topic":
        return [_required(names.alert_topic_arn, principal, call, "alert topic")]
    if kind == "topic-key":
        return [names.alert_key_arn] if names.alert_key_arn else []
    if kind == "state-machine":
        return [_required(names.state_machine_arn, principal, call, "state machine")]
    if kind == "step-role":
        return list(_required(names.step_role_arns, principal, call, "step roles"))
    if kind == "hub":
        return [names.arn("hub", "default")]
    if kind == "product":
        # Only when the deployment imports its own findings (own_findings): otherwise nothing is granted.
        return [names.arn("product", f"{names.account}/default")] if names.own_findings else []
    raise ValueError(f"unknown resource kind {kind!r}")


def render(principal: Principal, names: Names) -> Policy:
    """The policy that lets ``principal`` make each of its calls, dependent actions included."""
    by_action: dict[tuple[str, str], list[str]] = {}  # (action, condition) -> resources
    reasons: dict[str, str] = {}
    for call in principal.calls:
        for need in table.api(call).needs:
            if need.when in table.NEVER:
                continue
            resources = resources_of(need, call, principal, names)
            condition = json.dumps(CONDITIONS[need.action](names) if need.action in CONDITIONS else {}, sort_keys=True)
            granted = by_action.setdefault((need.action, condition), [])
            granted += [r for r in resources if r not in granted]
            for resource in resources:
                if "*" in resource and resource != "*":
                    reasons.setdefault(f"Resource::{resource}", _REASONS[need.resource])
            if need.action in _ACTION_WILDCARDS:
                reasons[f"Action::{need.action}"] = _ACTION_WILDCARDS[need.action]
    grouped: dict[tuple[tuple[str, ...], str], list[str]] = {}
    for (action, condition), resources in by_action.items():
        if resources:
            grouped.setdefault((tuple(sorted(resources)), condition), []).append(action)
    statements = []
    for (resources, condition), actions in sorted(grouped.items(), key=lambda item: (sorted(item[1]), item[0])):
        actions = sorted(actions)
        statement: dict = {
            "Effect": "Allow",
            "Action": actions[0] if len(actions) == 1 else actions,
            "Resource": resources[0] if len(resources) == 1 else list(resources),
        }
        if json.loads(condition):
            statement["Condition"] = json.loads(condition)
        if resources == ("*",):
            reasons["Resource::*"] = (
                f"Read-only actions without resource-level permissions: {', '.join(actions)}."
                if "Resource::*" not in reasons
                else reasons["Resource::*"].rstrip(".") + ", " + ", ".join(actions) + "."
            )
        statements.append(statement)
    return Policy(tuple(statements), reasons)

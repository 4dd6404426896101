"""The concrete authorization checks one AWS call makes: (action, resource ARN, context) per need of the table.

Pure. ``Facts`` describe the request and the resources it touches (the notebook's subnet, key, execution role,
the object's bucket and key...); the Preflight step builds them from the snapshot and its settings to simulate
the steps' policies, the local simulation from each request it enforces.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from notebook_guard.permissions import table


@dataclass(frozen=True)
class Check:
    call: str
    action: str
    resource: str
    context: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    when: str | None = None  # the feature that made it apply (None: always)


@dataclass
class Facts:
    """What the request names and what AWS knows about the resources it touches (unknown: None/empty)."""

    partition: str
    region: str
    account: str
    notebook: str | None = None
    lifecycle_config: str | None = None
    code_repository: str | None = None
    role_arn: str | None = None
    kms_key_arn: str | None = None
    subnet_id: str | None = None
    security_group_ids: tuple[str, ...] = ()
    network_interface_id: str | None = None
    secret_arns: tuple[str, ...] = ()
    tags: bool = False
    accelerator: bool = False
    bucket: str | None = None
    key: str | None = None
    object_missing: bool = False
    object_version: bool = False
    table: str | None = None
    queue_arn: str | None = None
    execution_arn: str | None = None
    topic_arn: str | None = None
    topic_key_arn: str | None = None
    state_machine_arn: str | None = None
    policy_source_arns: tuple[str, ...] = ()
    workflow_status: str | None = None  # BatchUpdateFindings: the Workflow.Status the request sets
    product_arn: str | None = None  # BatchImportFindings: the findings' ProductArn
    target_account: str | None = None  # BatchImportFindings: the findings' AwsAccountId
    # The service condition keys of the request itself (``request_context.request_context``): IAM evaluates the
    # call's own action with them (sagemaker:VpcSubnets, sagemaker:RootAccess...).
    request_context: Mapping[str, str | tuple[str, ...]] = field(default_factory=dict)

    def arn(self, kind: str, name: str) -> str:
        return table.ARN_TEMPLATES[kind].format(
            partition=self.partition, region=self.region, account=self.account, name=name
        )

    def has(self, feature: str | None) -> bool:
        present = {
            None: True,
            table.VPC: bool(self.subnet_id),
            table.VPC_ACCELERATOR: bool(self.subnet_id) and self.accelerator,
            table.KMS_KEY: bool(self.kms_key_arn),
            table.GIT_SECRET: bool(self.secret_arns),
            table.TAGS: self.tags,
            table.ENCRYPTED_TOPIC: bool(self.topic_key_arn),
            table.MISSING_OBJECT: self.object_missing,
            table.OBJECT_VERSION: self.object_version,
        }
        return present[feature]


def _one(value: str | None, kind: str) -> list[str]:
    return [value] if value else [f"<unknown {kind}>"]


def resources(need: table.Need, facts: Facts) -> list[str]:
    kind = need.resource
    if kind == "*":
        return ["*"]
    if kind == "notebook-instance":
        # SageMaker builds the ARN from the name lower-cased.
        return [facts.arn(kind, (facts.notebook or "<unknown notebook>").lower())]
    if kind == "notebook-instance-lifecycle-config":
        return [facts.arn(kind, facts.lifecycle_config or "<unknown>")]
    if kind == "code-repository":
        return [facts.arn(kind, facts.code_repository or "<unknown>")]
    if kind == "role":
        return _one(facts.role_arn, "role")
    if kind == "key":
        return _one(facts.kms_key_arn, "key")
    if kind == "subnet":
        return [facts.arn("subnet", facts.subnet_id or "<unknown>")]
    if kind == "security-group":
        return [facts.arn("security-group", g) for g in facts.security_group_ids]
    if kind == "network-interface":
        return [facts.arn("network-interface", facts.network_interface_id or "*")]
    if kind == "secret":
        return list(facts.secret_arns)
    if kind == "bucket":
        return [facts.arn("bucket", facts.bucket or "<unknown>")]
    if kind == "object":
        return [facts.arn("object", f"{facts.bucket}/{facts.key}")]
    if kind in ("table", "coordination-table"):
        return [facts.arn("table", facts.table or "<unknown>")]
    if kind == "queue":
        return _one(facts.queue_arn, "queue")
    if kind == "execution":
        return _one(facts.execution_arn, "execution")
    if kind == "topic":
        return _one(facts.topic_arn, "topic")
    if kind == "topic-key":
        return _one(facts.topic_key_arn, "key")
    if kind == "state-machine":
        return _one(facts.state_machine_arn, "state machine")
    if kind == "step-role":
        return list(facts.policy_source_arns)
    if kind == "hub":
        return [facts.arn("hub", "default")]
    if kind == "product":
        return _one(facts.product_arn, "product")
    if kind == "stack":
        # The facts carry no stack name (only audit reads a stack, by the name it is given): any stack here.
        return [facts.arn("stack", "*")]
    raise ValueError(f"unknown resource kind {kind!r}")


def checks_for(call: str, facts: Facts) -> list[Check]:
    """Every (action, resource, context) AWS authorizes for ``call`` with these facts, dependent actions included."""
    found = []
    for need in table.api(call).needs:
        if not facts.has(need.when):
            continue
        values = {
            "region": facts.region,
            "workflow_status": facts.workflow_status or "",
            "target_account": facts.target_account or "",
        }
        formatted = {key: value.format(**values) for key, value in need.context}
        context = {key: (value,) for key, value in formatted.items() if value}
        if need.action == call:  # the call's own action carries the request's condition keys
            context.update(
                {key: value if isinstance(value, tuple) else (value,) for key, value in facts.request_context.items()}
            )
        found += [Check(call, need.action, arn, context, need.when) for arn in resources(need, facts)]
    return found

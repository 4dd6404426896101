"""The preventive policy: deny, at the API, the notebook requests notebook-guard would otherwise remediate.

Pure (no boto3, no CDK): the stack renders the managed policy from it (``prevention_policy=true``), the
``notebook-guard prevent`` command prints it, and the decision-table proof evaluates it. Inputs are the stack's
own settings (``PreventionInputs.from_context`` reads them from ``cdk.json``'s context or the validated
settings), so the policy denies exactly what the evaluation (``domain.evaluation``) calls a violation:

Each Deny statement's Sid names the condition key it relies on (``rules`` below):
- DenyCreateNotebookWithoutVpcSubnets: ``Null`` ``sagemaker:VpcSubnets`` (no SubnetId). SageMaker.2.
- DenyCreateNotebookOutsideApprovedVpcSubnets: ``ForAnyValue:StringNotEquals`` the approved subnets (only
  with an approved list). SageMaker.2.
- DenyCreateNotebookUnlessDirectInternetAccessDisabled: ``StringNotEquals`` ``Disabled``, so Enabled and absent
  (the API's default is Enabled) are both denied. SageMaker.1.
- DenyCreateNotebookUnlessRootAccessDisabled: the same for ``sagemaker:RootAccess``, when root access is
  disabled. SageMaker.3.
- DenyUpdateNotebookRootAccessEnabled: ``StringEquals`` ``Enabled`` on UpdateNotebookInstance (an update
  without RootAccess leaves it as it is). SageMaker.3.
- DenyCreateNotebookOutsideApprovedVpcSecurityGroupIds: opt-in, a security group outside the list (stricter
  than the evaluation, which does not judge security groups).

``sagemaker:VpcSubnets`` and ``sagemaker:VpcSecurityGroupIds`` are multivalued (ArrayOfString in the Service
Authorization Reference): with Deny, ``ForAnyValue:StringNotEquals`` is true when at least one value of the
request is outside the list and false when the key is absent (which the ``Null`` statement covers);
``ForAllValues:`` would be true for an absent key and ``StringNotEquals`` without a set operator is not meant
for a list (IAM User Guide, "Single-valued vs. multivalued context keys").

The exemption is explicit, in every statement's condition, never a wildcard: a principal carrying the tag
``exempt_principal_tag`` with the value ``true`` (``aws:PrincipalTag``), or whose ARN matches one of
``exempt_role_arns`` (``aws:PrincipalArn``, ``ArnNotLike``), is not denied. Whoever may tag a principal (or pass
session tags) may exempt it: protect the tag key (README, "Prevent, then remediate").
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from notebook_guard.permissions import request_context as keys

SCP = "scp"
MANAGED_POLICY = "managed-policy"
PERMISSIONS_BOUNDARY = "permissions-boundary"
KINDS = (SCP, MANAGED_POLICY, PERMISSIONS_BOUNDARY)

DEFAULT_EXEMPT_PRINCIPAL_TAG = "notebook-guard:break-glass"
EXEMPT_TAG_VALUE = "true"

# Sizes. AWS Organizations quotas: an SCP is at most 5,120 characters, and a policy saved through the API or CLI
# is stored exactly as given, whitespace included (only the console strips it). IAM quotas: a managed policy is
# at most 6,144 characters, white space not counted. Both are checked on the compact JSON, which is what
# ``text`` returns and ``notebook-guard prevent --output json`` prints.
LIMITS = {SCP: 5120, MANAGED_POLICY: 6144, PERMISSIONS_BOUNDARY: 6144}
# A CloudFormation token stands for an id of this length once deployed (subnet-0123456789abcdef0).
TOKEN_STANDS_FOR = 24

_SUBNET = re.compile(r"^subnet-[0-9a-f]{8}([0-9a-f]{9})?$")
_SECURITY_GROUP = re.compile(r"^sg-[0-9a-f]{8}([0-9a-f]{9})?$")
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}|\*):role/[\w+=,.@/*-]{1,512}$", re.ASCII)
# IAM tag keys are 1-128 characters; a policy document may only hold characters up to U+00FF: ASCII here.
_PRINCIPAL_TAG = re.compile(r"^[A-Za-z0-9 _.:/=+\-@]{1,128}$")
_TOKEN = re.compile(r"\$\{Token\[[^\]]+\]\}")


class PreventionError(ValueError):
    """The inputs cannot make a correct preventive policy; the message says what to give instead."""


@dataclass(frozen=True)
class Rule:
    """One Deny statement: which action, the condition key it relies on, and the violation it prevents."""

    sid: str
    action: str
    key: str
    condition: dict
    prevents: str  # the violation, in words
    control: str = ""  # Security Hub control, when it is one


@dataclass(frozen=True)
class PreventionInputs:
    approved_subnet_ids: tuple[str, ...] = ()  # empty: any subnet passes, as in the evaluation
    approved_security_group_ids: tuple[str, ...] = ()  # opt-in; empty: security groups are not restricted
    root_access_disabled: bool = True
    exempt_principal_tag: str | None = DEFAULT_EXEMPT_PRINCIPAL_TAG
    exempt_role_arns: tuple[str, ...] = ()
    # Where the Denies apply: the notebook instances of this region (and account). Subnets are regional: a policy
    # with approved subnets for one region must not deny the notebooks of another. None: every region.
    region: str | None = None
    partition: str = "aws"
    account: str = "*"

    @property
    def resource(self) -> str:
        if self.region is None:
            return "*"
        return f"arn:{self.partition}:sagemaker:{self.region}:{self.account}:notebook-instance/*"

    @classmethod
    def from_context(
        cls,
        context: Mapping[str, Any],
        *,
        stack_subnet_ids: tuple[str, ...] = (),
        restrict_security_groups: bool = False,
        region: str | None = None,
        partition: str = "aws",
        account: str = "*",
    ) -> PreventionInputs:
        """From the stack's settings (``cdk.json``'s context, or ``StackSettings.model_dump()``).

        ``stack_subnet_ids``: the subnets of the VPC the stack creates (no ``target_subnet_ids``), which the stack
        approves too when ``approved_subnet_ids`` is set; unknown to a reader of ``cdk.json`` alone, so they must
        be given then (the stack's ``TargetSubnetIds`` output), or the policy would deny notebook-guard's own
        recreated notebooks. ``restrict_security_groups``: also deny security groups outside
        ``target_security_group_ids`` (stricter than notebook-guard's evaluation, which does not judge them).
        ``region``: where the Denies apply; needed with approved subnets (they are regional).
        """
        approved = subnet_ids(context.get("approved_subnet_ids"), "approved_subnet_ids")
        targets = subnet_ids(context.get("target_subnet_ids"), "target_subnet_ids")
        if approved and not targets:
            if not stack_subnet_ids:
                raise PreventionError(
                    "approved_subnet_ids is set and the stack creates its own VPC, whose subnets it approves too: "
                    "give them (the stack's TargetSubnetIds output), or the policy would deny notebook-guard's "
                    "own recreated notebooks"
                )
            approved = tuple(dict.fromkeys((*approved, *stack_subnet_ids)))
        if approved and not region:
            raise PreventionError(
                "approved subnets are regional: give the region the policy is for (--region), or it would deny "
                "the notebooks of every other region"
            )
        groups = security_group_ids(context.get("target_security_group_ids"), "target_security_group_ids")
        if restrict_security_groups and not groups:
            raise PreventionError(
                "restricting security groups needs target_security_group_ids (the stack's own are not known here)"
            )
        root = str(context.get("root_access") or "disabled").strip().lower()
        if root not in ("disabled", "allowed"):
            raise PreventionError(f"invalid setting root_access={root}: expected disabled or allowed")
        tag = context.get("prevention_exempt_principal_tag", DEFAULT_EXEMPT_PRINCIPAL_TAG)
        return cls(
            approved_subnet_ids=approved,
            approved_security_group_ids=groups if restrict_security_groups else (),
            root_access_disabled=root == "disabled",
            exempt_principal_tag=principal_tag(tag),
            exempt_role_arns=role_arns(context.get("prevention_exempt_role_arns")),
            region=region or None,
            partition=partition,
            account=account,
        )


def _list(value: Any, name: str) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                value = json.loads(text)
            except json.JSONDecodeError:
                raise PreventionError(
                    f"invalid setting {name}={value}: expected a JSON list or comma-separated values"
                ) from None
        else:
            return tuple(p.strip() for p in text.split(",") if p.strip())
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return tuple(v.strip() for v in value if v.strip())
    raise PreventionError(f"invalid setting {name}={value}: expected a list of strings")


def _ids(value: Any, name: str, pattern: re.Pattern, example: str) -> tuple[str, ...]:
    ids = _list(value, name)
    bad = [i for i in ids if not pattern.match(i) and not _TOKEN.search(i)]
    if bad:
        raise PreventionError(f"invalid setting {name}={','.join(ids)}: expected ids like {example} (bad: {bad})")
    return ids


def subnet_ids(value: Any, name: str = "approved_subnet_ids") -> tuple[str, ...]:
    return _ids(value, name, _SUBNET, "subnet-0123456789abcdef0")


def security_group_ids(value: Any, name: str = "target_security_group_ids") -> tuple[str, ...]:
    return _ids(value, name, _SECURITY_GROUP, "sg-0123456789abcdef0")


def role_arns(value: Any, name: str = "prevention_exempt_role_arns") -> tuple[str, ...]:
    arns = _list(value, name)
    bad = [a for a in arns if not _ROLE_ARN.match(a)]
    if bad:
        raise PreventionError(
            f"invalid setting {name}={','.join(arns)}: expected IAM role ARNs (wildcards allowed), like "
            f"arn:aws:iam::123456789012:role/BreakGlass (bad: {bad})"
        )
    return arns


def principal_tag(value: Any, name: str = "prevention_exempt_principal_tag") -> str | None:
    """The principal tag key that exempts (value ``true``); empty or None: no tag exemption."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str) or not _PRINCIPAL_TAG.match(value) or value.lower().startswith("aws:"):
        raise PreventionError(
            f"invalid setting {name}={value}: expected a tag key of 1-128 ASCII letters, digits, spaces or "
            "_.:/=+-@, not starting with aws: (or empty for no tag exemption)"
        )
    return value


def rules(inputs: PreventionInputs) -> tuple[Rule, ...]:
    """The Deny statements for these inputs, without the exemption (``statement`` adds it)."""
    found = [
        Rule(
            "DenyCreateNotebookWithoutVpcSubnets",
            keys.CREATE,
            keys.VPC_SUBNETS,
            {"Null": {keys.VPC_SUBNETS: "true"}},
            "a notebook without a subnet (in the SageMaker service VPC)",
            "SageMaker.2",
        )
    ]
    if inputs.approved_subnet_ids:
        found.append(
            Rule(
                "DenyCreateNotebookOutsideApprovedVpcSubnets",
                keys.CREATE,
                keys.VPC_SUBNETS,
                {"ForAnyValue:StringNotEquals": {keys.VPC_SUBNETS: list(inputs.approved_subnet_ids)}},
                "a notebook in a subnet outside the approved list",
                "SageMaker.2",
            )
        )
    found.append(
        Rule(
            "DenyCreateNotebookUnlessDirectInternetAccessDisabled",
            keys.CREATE,
            keys.DIRECT_INTERNET_ACCESS,
            {"StringNotEquals": {keys.DIRECT_INTERNET_ACCESS: "Disabled"}},
            "a notebook with direct internet access (Enabled, or not given: the API's default is Enabled)",
            "SageMaker.1",
        )
    )
    if inputs.root_access_disabled:
        found += [
            Rule(
                "DenyCreateNotebookUnlessRootAccessDisabled",
                keys.CREATE,
                keys.ROOT_ACCESS,
                {"StringNotEquals": {keys.ROOT_ACCESS: "Disabled"}},
                "a notebook with root access (Enabled, or not given: the API's default is Enabled)",
                "SageMaker.3",
            ),
            Rule(
                "DenyUpdateNotebookRootAccessEnabled",
                keys.UPDATE,
                keys.ROOT_ACCESS,
                {"StringEquals": {keys.ROOT_ACCESS: "Enabled"}},
                "enabling root access on an existing notebook",
                "SageMaker.3",
            ),
        ]
    if inputs.approved_security_group_ids:
        found.append(
            Rule(
                "DenyCreateNotebookOutsideApprovedVpcSecurityGroupIds",
                keys.CREATE,
                keys.VPC_SECURITY_GROUP_IDS,
                {
                    "ForAnyValue:StringNotEquals": {
                        keys.VPC_SECURITY_GROUP_IDS: list(inputs.approved_security_group_ids)
                    }
                },
                "a notebook with a security group outside the target security groups (opt-in; not a violation "
                "notebook-guard remediates)",
            )
        )
    return tuple(found)


def exemption_condition(inputs: PreventionInputs) -> dict:
    """The condition every Deny carries so that exempt principals are not denied (empty: no exemption)."""
    condition: dict = {}
    if inputs.exempt_principal_tag:
        condition["StringNotEquals"] = {f"aws:PrincipalTag/{inputs.exempt_principal_tag}": EXEMPT_TAG_VALUE}
    if inputs.exempt_role_arns:
        arns = list(inputs.exempt_role_arns)
        condition["ArnNotLike"] = {"aws:PrincipalArn": arns[0] if len(arns) == 1 else arns}
    return condition


def statement(rule: Rule, inputs: PreventionInputs) -> dict:
    condition = json.loads(json.dumps(rule.condition))
    for operator, entries in exemption_condition(inputs).items():
        condition.setdefault(operator, {}).update(entries)  # same operator, different keys: all must hold
    return {
        "Sid": rule.sid,
        "Effect": "Deny",
        "Action": rule.action,
        "Resource": inputs.resource,
        "Condition": condition,
    }


# A permissions boundary caps what identity policies grant: without an Allow, it allows nothing.
BOUNDARY_ALLOW = {"Sid": "AllowWhatIdentityPoliciesGrant", "Effect": "Allow", "Action": "*", "Resource": "*"}


@dataclass(frozen=True)
class PreventivePolicy:
    kind: str
    inputs: PreventionInputs
    rules: tuple[Rule, ...]
    document: dict = field(hash=False)

    @property
    def text(self) -> str:
        """The compact JSON: what to submit, and what the size limits are measured on."""
        return json.dumps(self.document, separators=(",", ":"))

    @property
    def size(self) -> int:
        """Characters of ``text`` (UTF-8 bytes for an SCP), a CloudFormation token counted as the id it stands
        for."""
        text = _TOKEN.sub("x" * TOKEN_STANDS_FOR, self.text)
        return len(text.encode()) if self.kind == SCP else len(text)

    @property
    def limit(self) -> int:
        return LIMITS[self.kind]

    @property
    def sids(self) -> tuple[str, ...]:
        return tuple(r.sid for r in self.rules)

    def exemption(self) -> str:
        parts = []
        if self.inputs.exempt_principal_tag:
            parts.append(f"principals tagged {self.inputs.exempt_principal_tag}={EXEMPT_TAG_VALUE} (aws:PrincipalTag)")
        if self.inputs.exempt_role_arns:
            parts.append("the roles " + ", ".join(self.inputs.exempt_role_arns) + " (aws:PrincipalArn)")
        return " or ".join(parts) if parts else "none: every principal in scope is denied"

    def limitations(self) -> tuple[str, ...]:
        """What this policy cannot see: the net notebook-guard keeps catching."""
        seen = [
            "notebooks created before the policy applies (the scheduled sweep finds them)",
            "StartNotebookInstance: it has no network or root-access keys, so a non-compliant notebook that "
            "exists can still be started",
            "exempt principals (Exempt above)",
        ]
        if self.kind == SCP:
            seen += [
                "the organization's management account (SCPs do not apply to it) and accounts outside the OUs it "
                "is attached to",
                "service-linked roles (SCPs do not affect them)",
            ]
        else:
            seen.append("principals it is not attached to (it grants nothing and is attached to no role by itself)")
        if self.inputs.region is None:
            seen.append("no region given: it applies to the notebooks of every region")
        else:
            seen.append(f"notebooks of other regions than {self.inputs.region} (one policy per region)")
        if not self.inputs.approved_subnet_ids:
            seen.append(
                "which subnet: no approved_subnet_ids, so any subnet passes (as in notebook-guard's evaluation)"
            )
        if not self.inputs.root_access_disabled:
            seen.append("root access: root_access=allowed")
        return tuple(seen)


def generate(kind: str, inputs: PreventionInputs) -> PreventivePolicy:
    """The preventive policy of ``kind`` for ``inputs``; raises ``PreventionError`` past AWS's size limit."""
    if kind not in KINDS:
        raise PreventionError(f"unknown kind {kind!r}: expected one of {', '.join(KINDS)}")
    found = rules(inputs)
    statements = [statement(rule, inputs) for rule in found]
    if kind == PERMISSIONS_BOUNDARY:
        statements.append(dict(BOUNDARY_ALLOW))
    policy = PreventivePolicy(kind, inputs, found, {"Version": "2012-10-17", "Statement": statements})
    try:
        policy.text.encode("latin-1")  # IAM policy documents hold characters up to U+00FF only
    except UnicodeEncodeError:
        raise PreventionError("the policy would hold characters IAM does not accept (beyond U+00FF)") from None
    if policy.size > policy.limit:
        raise PreventionError(
            f"the {kind} would be {policy.size} characters, over AWS's limit of {policy.limit}: approve fewer "
            "subnets, or split the list across policies"
        )
    return policy

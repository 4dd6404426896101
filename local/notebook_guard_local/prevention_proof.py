"""Proof, offline: the preventive policy evaluated against a decision table of notebook requests.

Each row is a real request (boto3's parameter shape) and who makes it. Its authorization context is derived
from the parameters by ``permissions.request_context`` (what the enforcement of the simulation supplies too),
and it is evaluated by the IAM evaluator (``fake.iam_policy``) with the policy in its place:
- an SCP: the organization layer (with ``FullAWSAccess``, which a deny-list SCP relies on) above an identity
  policy that lets the principal create and update notebooks;
- a managed policy: attached next to that identity policy;
- a permissions boundary: a layer of its own.
What each row SHOULD get is not written by hand: it is notebook-guard's own evaluation (``domain.evaluation``)
of the notebook the request would create (with the API's defaults, DirectInternetAccess and RootAccess
``Enabled`` when absent), unless the principal is exempt.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from notebook_guard.domain.evaluation import Policy as EvaluationPolicy
from notebook_guard.domain.evaluation import find_violations
from notebook_guard.domain.models import NotebookFacts
from notebook_guard.domain.recreate import Target, plan_create_request
from notebook_guard.permissions import request_context as keys
from notebook_guard.permissions.prevention import (
    EXEMPT_TAG_VALUE,
    MANAGED_POLICY,
    PERMISSIONS_BOUNDARY,
    SCP,
    PreventivePolicy,
)
from notebook_guard_local.fake.iam_policy import Decision, Policy, Result, authorize

ACCOUNT = "123456789012"
REGION = "us-east-1"
DATA_SCIENTIST = f"arn:aws:iam::{ACCOUNT}:role/data-scientist"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/notebook-execution"
# Stand-ins when the settings name none (any subnet then passes; these only give the requests a shape).
SAMPLE_SUBNET = "subnet-0a1b2c3d4e5f60718"
OTHER_SUBNET = "subnet-0fedcba9876543210"
SAMPLE_GROUP = "sg-0a1b2c3d4e5f60718"
OTHER_GROUP = "sg-0fedcba9876543210"

FULL_AWS_ACCESS = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
DATA_SCIENTIST_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "CreateAndUpdateNotebooks",
            "Effect": "Allow",
            "Action": [keys.CREATE, keys.UPDATE],
            "Resource": f"arn:aws:sagemaker:*:{ACCOUNT}:notebook-instance/*",
        }
    ],
}


@dataclass(frozen=True)
class Row:
    name: str
    call: str
    params: dict
    principal_arn: str = DATA_SCIENTIST
    principal_tags: dict = field(default_factory=dict)
    exempt: bool = False


@dataclass
class Outcome:
    row: Row
    result: Result
    expected_denied: bool
    reasons: tuple[str, ...]  # why it should be denied (the violations), or why not

    @property
    def denied(self) -> bool:
        return not self.result.allowed

    @property
    def denied_by(self) -> tuple[str, ...]:
        """The Sids of the policy's statements that denied it (explicit deny)."""
        if self.result.decision is not Decision.EXPLICIT_DENY:
            return ()
        return tuple(m.sid or "" for m in self.result.matched)

    @property
    def as_expected(self) -> bool:
        """Denied exactly when it should be, and then by the preventive policy's own statements."""
        if not self.expected_denied:
            return self.result.allowed
        return self.result.decision is Decision.EXPLICIT_DENY and bool(self.denied_by)


def _notebook(name: str, **fields) -> dict:
    return {"NotebookInstanceName": name, "InstanceType": "ml.t3.medium", "RoleArn": ROLE, **fields}


def decision_table(policy: PreventivePolicy) -> list[Row]:
    inputs = policy.inputs
    approved = next((s for s in inputs.approved_subnet_ids if s.startswith("subnet-")), SAMPLE_SUBNET)
    group = next(iter(inputs.approved_security_group_ids), SAMPLE_GROUP)
    private = {"SubnetId": approved, "SecurityGroupIds": [group], "DirectInternetAccess": "Disabled"}
    compliant = {**private, "RootAccess": "Disabled"}
    rows = [
        Row("compliant: approved subnet, no internet, no root", keys.CREATE, _notebook("compliant", **compliant)),
        Row("no subnet (the console's default)", keys.CREATE, _notebook("no-subnet")),
        Row(
            "subnet outside the approved list",
            keys.CREATE,
            _notebook("elsewhere", **{**compliant, "SubnetId": OTHER_SUBNET}),
        ),
        Row(
            "direct internet access Enabled",
            keys.CREATE,
            _notebook("internet", **{**compliant, "DirectInternetAccess": "Enabled"}),
        ),
        Row(
            "DirectInternetAccess not given (defaults to Enabled)",
            keys.CREATE,
            _notebook("internet-default", **{k: v for k, v in compliant.items() if k != "DirectInternetAccess"}),
        ),
        Row("root access Enabled", keys.CREATE, _notebook("root", **{**compliant, "RootAccess": "Enabled"})),
        Row("RootAccess not given (defaults to Enabled)", keys.CREATE, _notebook("root-default", **private)),
        Row(
            "another security group",
            keys.CREATE,
            _notebook("other-group", **{**compliant, "SecurityGroupIds": [OTHER_GROUP]}),
        ),
    ]
    if inputs.exempt_principal_tag:
        rows.append(
            Row(
                "no subnet, by a principal with the exempt tag",
                keys.CREATE,
                _notebook("tag-exempt"),
                principal_tags={inputs.exempt_principal_tag: EXEMPT_TAG_VALUE},
                exempt=True,
            )
        )
    if inputs.exempt_role_arns:
        arn = inputs.exempt_role_arns[0].replace("*", "x").replace(":iam::x:", f":iam::{ACCOUNT}:")
        rows.append(
            Row("no subnet, by a break-glass role (exempt)", keys.CREATE, _notebook("break-glass"), arn, exempt=True)
        )
    recreate = plan_create_request(
        {"NotebookInstanceName": "recreated", "InstanceType": "ml.t3.medium", "RoleArn": ROLE},
        {"team": "risk"},
        Target(approved, (group,), "Disabled" if inputs.root_access_disabled else "Enabled"),
        "2026-01-01T00:00:00Z",
        "s3://snapshots/recreated.json",
    ).request
    rows += [
        Row("notebook-guard's own recreate request", keys.CREATE, recreate),
        Row("update: RootAccess Enabled", keys.UPDATE, {"NotebookInstanceName": "nb", "RootAccess": "Enabled"}),
        Row("update: RootAccess Disabled", keys.UPDATE, {"NotebookInstanceName": "nb", "RootAccess": "Disabled"}),
        Row("update: instance type only", keys.UPDATE, {"NotebookInstanceName": "nb", "InstanceType": "ml.t3.large"}),
    ]
    return rows


def violations_of(row: Row, policy: PreventivePolicy) -> tuple[str, ...]:
    """What notebook-guard would find wrong with the notebook this request makes (or changes)."""
    inputs = policy.inputs
    evaluation = EvaluationPolicy(
        approved_subnet_ids=frozenset(inputs.approved_subnet_ids),
        require_root_access_disabled=inputs.root_access_disabled,
    )
    params = row.params
    if row.call == keys.UPDATE:
        enabling = params.get("RootAccess") == "Enabled" and inputs.root_access_disabled
        return ("root-access",) if enabling else ()
    facts = NotebookFacts.from_describe(
        {
            "NotebookInstanceName": params["NotebookInstanceName"],
            "NotebookInstanceArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:notebook-instance/x",
            "NotebookInstanceStatus": "Pending",
            **{k: params[k] for k in ("SubnetId", "DirectInternetAccess", "RootAccess") if k in params},
            "SecurityGroups": params.get("SecurityGroupIds", []),
        }
    )
    found = tuple(v.check for v in find_violations(facts, evaluation))
    groups = set(params.get("SecurityGroupIds") or [])
    if inputs.approved_security_group_ids and groups - set(inputs.approved_security_group_ids):
        found += ("unapproved-security-group (opt-in)",)
    return found


def context_of(row: Row, aws_fills_defaults: bool = False, region: str = REGION) -> dict:
    """The request's authorization context. ``aws_fills_defaults``: as if AWS put the API's defaults
    (``Enabled``) in ``sagemaker:DirectInternetAccess`` / ``sagemaker:RootAccess`` when the parameter is absent,
    which AWS does not document either way (the policy must hold in both cases)."""
    context: dict = {
        "aws:PrincipalArn": row.principal_arn,
        "aws:PrincipalAccount": ACCOUNT,
        "aws:RequestedRegion": region,
        **{f"aws:PrincipalTag/{k}": v for k, v in row.principal_tags.items()},
    }
    for key, value in keys.request_context(row.call, row.params).items():
        context[key] = list(value) if isinstance(value, tuple) else value
    if aws_fills_defaults and row.call == keys.CREATE:
        context.setdefault(keys.DIRECT_INTERNET_ACCESS, "Enabled")
        context.setdefault(keys.ROOT_ACCESS, "Enabled")
    return context


def layers_for(policy: PreventivePolicy, document: dict | None = None) -> list[list[Policy]]:
    """The policy layers a request of the data scientist meets, with ``document`` (default: the policy's own) in
    the place its kind takes."""
    document = document if document is not None else policy.document
    identity = Policy(DATA_SCIENTIST_POLICY, "data-scientist", "role")
    if policy.kind == SCP:
        scps = [Policy(document, "notebook-guard-prevention", "scp"), Policy(FULL_AWS_ACCESS, "FullAWSAccess", "scp")]
        return [scps, [identity]]
    if policy.kind == MANAGED_POLICY:
        return [[identity, Policy(document, "notebook-guard-prevention", "user-managed")]]
    if policy.kind == PERMISSIONS_BOUNDARY:
        return [[identity], [Policy(document, "notebook-guard-prevention", "permissions-boundary")]]
    raise ValueError(f"unknown kind {policy.kind}")


def prove(policy: PreventivePolicy, document: dict | None = None, aws_fills_defaults: bool = False) -> list[Outcome]:
    """Evaluate every row of the decision table; ``document`` replaces the policy's (to show a bad one fails)."""
    layers = layers_for(policy, document)
    outcomes = []
    for row in decision_table(policy):
        region = policy.inputs.region or REGION
        resource = f"arn:aws:sagemaker:{region}:{ACCOUNT}:notebook-instance/{row.params['NotebookInstanceName']}"
        result = authorize(layers, row.call, resource, context_of(row, aws_fills_defaults, region))
        violations = violations_of(row, policy)
        expected = bool(violations) and not row.exempt
        reasons = violations if violations else ("compliant",)
        if violations and row.exempt:
            reasons = ("exempt principal; otherwise " + ", ".join(violations),)
        outcomes.append(Outcome(row, result, expected, reasons))
    return outcomes

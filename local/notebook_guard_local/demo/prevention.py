"""The demo's prevention scene: the preventive policy says no at the API; notebook-guard catches what it cannot see.

1. The managed policy ``notebook-guard prevent --kind managed-policy`` prints for the demo's settings is created
   in the simulated account's IAM and attached to a data scientist's role (which may otherwise create notebooks:
   its own policy is rendered from the permission table, dependent actions included).
2. As that role, a CreateNotebookInstance without a subnet goes through the enforcement: AWS's explicit-deny
   answer is what the data scientist sees.
3. The same role creates the notebook the compliant way (private subnet, no internet, no root): allowed.
4. A principal outside the policy's scope (a role it is not attached to) creates the same kind of notebook
   without a subnet: nothing stops it, and notebook-guard's detection and workflow take it from there.

The scene passes only when the refusal is the policy's: an ``AccessDeniedException`` whose denial the
enforcement recorded as an explicit deny by the preventive policy's own statements (the Sid naming the key the
request violates), with no notebook created; a refusal for any other reason (a missing ``iam:PassRole``, an
implicit deny) fails it, and so does a creation the policy lets through.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from botocore.exceptions import ClientError

from notebook_guard.domain.models import Action
from notebook_guard.permissions import request_context as keys
from notebook_guard.permissions.policy import Names, render
from notebook_guard.permissions.prevention import MANAGED_POLICY, PreventionInputs, PreventivePolicy, generate
from notebook_guard.permissions.principals import DESCRIBE, LIST_TAGS, Principal
from notebook_guard.settings import get_settings
from notebook_guard_local.demo.engine import Actor, NotebookRecord, Player, Trigger, expected_outcome
from notebook_guard_local.demo.simulation import ACCOUNT, Simulation
from notebook_guard_local.fake.enforcement import acting_as, deploy_role
from notebook_guard_local.fake.iam_policy import Decision

DATA_SCIENTIST = "data-scientist"
OUTSIDE_SCOPE = "legacy-automation"  # a role the platform team has not attached the policy to
POLICY_NAME = "notebook-guard-prevention"
EXPLICIT_DENY = "with an explicit deny in an identity-based policy"
WIDTH = 100
# What a data scientist may do with notebooks, before any preventive policy: the permission table's needs.
NOTEBOOK_USER = Principal("data-scientist", (keys.CREATE, keys.UPDATE, DESCRIBE, LIST_TAGS), network="any")


@dataclass
class SceneResult:
    policy: PreventivePolicy
    policy_arn: str
    denied_request: dict
    error_code: str | None = None
    message: str | None = None  # what the data scientist saw
    denied_by: tuple[str, ...] = ()  # Sids of the statements that denied it
    compliant_created: bool = False
    outside: NotebookRecord | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.problems

    def summary(self) -> dict:
        return {
            "passed": self.passed,
            "policy_arn": self.policy_arn,
            "statements": list(self.policy.sids),
            "denied_request": self.denied_request,
            "error_code": self.error_code,
            "message": self.message,
            "denied_by": list(self.denied_by),
            "compliant_created": self.compliant_created,
            "outside_scope": {"notebook": self.outside.name, "outcome": self.outside.outcome} if self.outside else None,
            "problems": self.problems,
        }


def policy_for_settings() -> PreventivePolicy:
    """The managed policy for the settings the simulated stack gave its functions."""
    settings = get_settings()
    inputs = PreventionInputs.from_context(
        {
            "approved_subnet_ids": list(settings.approved_subnet_ids),
            "target_subnet_ids": list(settings.target_subnet_ids),
            "target_security_group_ids": list(settings.target_security_group_ids),
            "root_access": settings.root_access,
        },
        region=settings.region,
        account=ACCOUNT,
    )
    return generate(MANAGED_POLICY, inputs)


def deploy_principals(simulation: Simulation, document: dict, identity: dict | None = None) -> str:
    """The data scientist's role with the preventive ``document`` attached, and the role outside its scope;
    returns the attached policy's ARN."""
    names = Names("aws", simulation.region, ACCOUNT)
    allowed = identity if identity is not None else render(NOTEBOOK_USER, names).document
    deploy_role(DATA_SCIENTIST, allowed)
    deploy_role(OUTSIDE_SCOPE, render(NOTEBOOK_USER, names).document)
    iam = simulation.client("iam")  # no principal set: the set-up itself is not checked
    arn = iam.create_policy(PolicyName=POLICY_NAME, PolicyDocument=json.dumps(document))["Policy"]["Arn"]
    iam.attach_role_policy(RoleName=DATA_SCIENTIST, PolicyArn=arn)
    return arn


def requests(simulation: Simulation) -> tuple[dict, dict, dict]:
    """The denied request, its compliant form, and the same kind of request from outside the policy's scope."""
    world = simulation.world
    base = {"InstanceType": "ml.t3.medium", "RoleArn": world.role_arn, "Tags": [{"Key": "team", "Value": "finance"}]}
    denied = {"NotebookInstanceName": "ad-hoc-analysis", **base}
    compliant = {
        **denied,
        "SubnetId": world.private_subnet_id,
        "SecurityGroupIds": [world.security_group_id],
        "DirectInternetAccess": "Disabled",
        "RootAccess": "Disabled",
    }
    outside = {"NotebookInstanceName": "nightly-batch", **base, "Tags": [{"Key": "team", "Value": "platform"}]}
    return denied, compliant, outside


def judge_denial(result: SceneResult, simulation: Simulation, error: ClientError | None) -> None:
    """Problems unless the creation was refused by the preventive policy's own statements."""
    if error is None:
        name = result.denied_request["NotebookInstanceName"]
        result.problems.append(f"{name} was created: the policy did not deny it")
        return
    details = error.response.get("Error", {})
    result.error_code, result.message = details.get("Code"), details.get("Message")
    denials = [
        d
        for d in simulation.enforcement.denials
        if d.principal == DATA_SCIENTIST and d.check.call == keys.CREATE
    ]
    if not denials:
        result.problems.append(f"refused ({result.error_code}) but not by IAM's evaluation: {result.message}")
        return
    denial = denials[-1]
    if denial.decision is not Decision.EXPLICIT_DENY:
        result.problems.append(
            f"denied by chance, not by the policy: {denial.decision.value} of {denial.check.action} on "
            f"{denial.check.resource}"
        )
        return
    by_policy = [m for m in denial.matched if m.policy_id == result.policy_arn and m.sid in result.policy.sids]
    result.denied_by = tuple(m.sid for m in by_policy)
    if denial.check.action != keys.CREATE or not by_policy:
        others = ", ".join(f"{m.policy_id} {m.sid}" for m in denial.matched)
        result.problems.append(f"denied by something other than the preventive policy's statements: {others}")
    if "DenyCreateNotebookWithoutVpcSubnets" not in result.denied_by:
        result.problems.append("the statement on sagemaker:VpcSubnets (Null) did not deny a creation without a subnet")
    if result.error_code != "AccessDeniedException" or EXPLICIT_DENY not in (result.message or ""):
        result.problems.append(f"the caller did not get AWS's explicit-deny answer: {result.error_code}")
    if simulation.status_of(result.denied_request["NotebookInstanceName"]) != "Gone":
        result.problems.append("a notebook exists although its creation was denied")


def play_prevention_scene(
    simulation: Simulation,
    say: Callable[[str], None],
    on_trigger: Callable[[Trigger], None] | None = None,
    seen_executions: set[str] | None = None,
    event_action: Action = Action.REMEDIATE,
    sweep_action: Action = Action.NOTIFY,
    document: dict | None = None,
    identity: dict | None = None,
) -> SceneResult:
    """Play the scene. ``document`` replaces the generated policy and ``identity`` the data scientist's own
    policy (the tests give a policy that does not deny, or a role that lacks a permission)."""
    policy = policy_for_settings()
    arn = deploy_principals(simulation, document if document is not None else policy.document, identity)
    denied, compliant, outside = requests(simulation)
    result = SceneResult(policy, arn, denied)
    say("")
    say("Prevention: the policy that stops it at the API")
    say("-" * 47)
    say(
        f"  notebook-guard prevent --kind {MANAGED_POLICY}: {len(policy.rules)} Deny statements, "
        f"{policy.size} of {policy.limit} characters,"
    )
    say(f"  created as {arn.rsplit(':', 1)[-1]} and attached to the role {DATA_SCIENTIST}")
    say(f"  {DATA_SCIENTIST}: CreateNotebookInstance {denied['NotebookInstanceName']} (no SubnetId)")
    simulation.ensure_references(denied)
    error = None
    with acting_as(DATA_SCIENTIST):
        try:
            simulation.client("sagemaker").create_notebook_instance(**denied)
        except ClientError as raised:
            error = raised
    judge_denial(result, simulation, error)
    if error is not None:
        say(f"    what the data scientist sees: {result.error_code}")
        for line in textwrap.wrap(result.message or "", WIDTH - 6, break_on_hyphens=False):
            say(f"      {line}")
    if result.denied_by:
        say(f"    denied by the statements of {POLICY_NAME} (explicit deny):")
        for sid in result.denied_by:
            say(f"      {sid}")
    say(f"  {DATA_SCIENTIST}: the same in the private subnet, no internet, no root access")
    with acting_as(DATA_SCIENTIST):
        try:
            simulation.client("sagemaker").create_notebook_instance(**compliant)
            result.compliant_created = True
            say("    allowed: created")
        except ClientError as refused:
            result.problems.append(f"the compliant request was refused too: {refused}")
            say(f"    refused: {refused.response.get('Error', {}).get('Code')}")
    say(f"  {OUTSIDE_SCOPE}: CreateNotebookInstance {outside['NotebookInstanceName']} (no SubnetId)")
    say("    the policy is not attached to this role: nothing stops it at the API, notebook-guard is the net")
    player = Player(simulation, on_trigger=on_trigger, seen_executions=seen_executions)
    today = datetime.now(UTC).date()
    actor = Actor(
        outside,
        expected=expected_outcome(outside, event_action, sweep_action, today),
        note="created outside the policy's scope, without a subnet",
        principal=OUTSIDE_SCOPE,
    )
    try:
        player.arrive(actor)
    except ClientError as refused:
        result.problems.append(f"the principal outside the policy's scope was refused: {refused}")
    else:
        (record,) = player.conclude()
        result.outside = record
        if not record.as_expected:
            result.problems.append(
                f"{record.name}: {record.outcome}, expected {record.expected} ({'; '.join(record.problems)})"
            )
    say("")
    if result.passed:
        say(
            f"PREVENTION: denied by the policy ({len(result.denied_by)} statements), compliant allowed, "
            f"outside its scope {result.outside.outcome}"[:WIDTH]
        )
    else:
        say("PREVENTION: NOT as expected")
        for problem in result.problems:
            for line in textwrap.wrap(problem, WIDTH - 4, break_on_hyphens=False):
                say(f"  - {line}")
    return result

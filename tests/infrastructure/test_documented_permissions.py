"""An independent check: every role of the synthesized stack holds every IAM action AWS documents for the calls
its function makes (tests/fixtures/aws_documented_permissions.json, transcribed from AWS's pages; the
permission table is not consulted), and removing any one of them is caught here, at synth time."""

from __future__ import annotations

import json
import re

import pytest

from notebook_guard.permissions import policy, principals
from tests.conftest import ROOT

DOCUMENTED = json.loads((ROOT / "tests" / "fixtures" / "aws_documented_permissions.json").read_text())


def documented_actions(call: str, absent: tuple[str, ...] = ()) -> set[str]:
    """Required and conditional actions; ``absent``: words of conditions that cannot arise in this deployment."""
    entry = DOCUMENTED["apis"][call]
    actions = set(entry["required"])
    for condition, extra in entry.get("required_when", {}).items():
        if any(word in condition for word in absent):
            continue
        actions |= {a for a in extra if not (a in DOCUMENTED["not_applicable"] and "accelerator" in condition)}
    return actions


def _matches(pattern: str, action: str) -> bool:
    regex = "^" + re.escape(pattern).replace(r"\*", ".*").replace(r"\?", ".") + "$"
    return re.match(regex, action, re.IGNORECASE) is not None


def missing(allowed: set[str], calls, absent: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """(call, action) AWS documents and ``allowed`` does not grant."""
    return sorted(
        (call, action)
        for call in calls
        for action in documented_actions(call, absent)
        if not any(_matches(pattern, action) for pattern in allowed)
    )


def allowed_actions(synth, role) -> set[str]:
    role_id = synth.logical_id(role)
    found = set()
    for resource in synth.resources("AWS::IAM::Policy").values():
        if {"Ref": role_id} in resource["Properties"]["Roles"]:
            for statement in resource["Properties"]["PolicyDocument"]["Statement"]:
                if statement["Effect"] == "Allow":
                    actions = statement["Action"]
                    found |= set(actions if isinstance(actions, list) else [actions])
    return found


def roles_of(synth):
    for step in principals.step_principals():
        yield step, synth.stack.workflow.steps[step.name].role
    yield principals.INTAKE, synth.stack.detection.intake.role
    yield principals.SWEEP, synth.stack.detection.sweep.role
    if synth.stack.approval_action is not None:
        yield principals.APPROVAL_ACTION, synth.stack.approval_action.function.role


def calls_made(principal, settings) -> tuple[str, ...]:
    """The calls a principal makes in this deployment (its own finding is imported only with own_findings)."""
    return tuple(c for c in principal.calls if c != "securityhub:BatchImportFindings" or settings.own_findings)


@pytest.mark.parametrize("stack_name", ["default_stack", "existing_stack"])
def test_every_role_holds_every_documented_permission_of_its_calls(stack_name, request):
    synth = request.getfixturevalue(stack_name)
    # An existing alert topic's key is not known to the stack (see the README): only its own topic's key is granted.
    absent = () if synth.stack.alerting.key is not None else ("topic is encrypted",)
    settings = synth.stack.settings
    report = {
        p.name: missing(allowed_actions(synth, role), calls_made(p, settings), absent) for p, role in roles_of(synth)
    }
    assert {name: gaps for name, gaps in report.items() if gaps} == {}


def test_every_call_of_the_package_is_documented_in_the_fixture():
    calls = {c for p in principals.all_principals() for c in p.calls}
    assert calls <= set(DOCUMENTED["apis"]), calls - set(DOCUMENTED["apis"])


NAMES = policy.Names(
    "aws", "us-east-1", "123456789012",
    snapshot_bucket_arn="arn:aws:s3:::snapshots", audit_table_arn="arn:aws:dynamodb:us-east-1:123456789012:table/a",
    coordination_table_arn="arn:aws:dynamodb:us-east-1:123456789012:table/c",
    alert_dead_letter_queue_arn="arn:aws:sqs:us-east-1:123456789012:dead-letters",
    remediation_executions_arn="arn:aws:states:us-east-1:123456789012:execution:m:*",
    alert_topic_arn="arn:aws:sns:us-east-1:123456789012:alerts",
    alert_key_arn="arn:aws:kms:us-east-1:123456789012:key/k",
    state_machine_arn="arn:aws:states:us-east-1:123456789012:stateMachine:m",
    target_subnet_ids=("subnet-0123456789abcdef0",), target_security_group_ids=("sg-0123456789abcdef0",),
    step_role_arns=("arn:aws:iam::123456789012:role/stop",),
    own_findings=True,
)


def removals():
    for principal in (*principals.step_principals(), *principals.DETECTION, *principals.CLI, *principals.STACK):
        for action in sorted(policy.render(principal, NAMES).actions()):
            yield principal.name, action


@pytest.mark.parametrize(("name", "action"), list(removals()))
def test_removing_one_permission_is_caught_at_synth_time(name, action):
    """Every action a generated policy holds is documented for one of its calls (nothing extra), so removing it
    is reported by the same check the synthesized template passes."""
    principal = principals.by_name(name)
    allowed = policy.render(principal, NAMES).actions()
    assert missing(allowed, principal.calls) == []
    gaps = missing(allowed - {action}, principal.calls)
    assert gaps and {a for _, a in gaps} == {action}

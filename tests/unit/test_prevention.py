"""The preventive policy: the decision table, evaluated on every kind, denies exactly the violating requests
(notebook-guard's own evaluation says which) and allows the compliant and exempt ones; the policy comes from the
stack's settings and stays within AWS's size limits."""

from __future__ import annotations

import json

import pytest

from infra.settings import StackSettings
from notebook_guard.permissions import prevention
from notebook_guard.permissions.prevention import (
    KINDS,
    MANAGED_POLICY,
    PERMISSIONS_BOUNDARY,
    SCP,
    PreventionError,
    PreventionInputs,
    generate,
)
from notebook_guard_local.fake.iam_policy import Decision, Policy, authorize
from notebook_guard_local.prevention_proof import context_of, decision_table, prove

SUBNET_A = "subnet-0123456789abcdef0"
SUBNET_B = "subnet-0123456789abcdef1"
GROUP = "sg-0123456789abcdef0"
BREAK_GLASS = "arn:aws:iam::123456789012:role/BreakGlass*"

INPUTS = {
    "defaults (no approved list)": PreventionInputs(),
    "a region's policy": PreventionInputs(
        approved_subnet_ids=(SUBNET_A,), region="eu-west-1", account="123456789012"
    ),
    "approved subnets, break-glass role": PreventionInputs(
        approved_subnet_ids=(SUBNET_A, SUBNET_B), exempt_role_arns=(BREAK_GLASS,)
    ),
    "restricted security groups": PreventionInputs(
        approved_subnet_ids=(SUBNET_A,), approved_security_group_ids=(GROUP,)
    ),
    "root access allowed, no exemption": PreventionInputs(
        approved_subnet_ids=(SUBNET_A,), root_access_disabled=False, exempt_principal_tag=None
    ),
}


@pytest.mark.parametrize("aws_fills_defaults", [False, True], ids=["keys-absent", "aws-fills-defaults"])
@pytest.mark.parametrize("name", list(INPUTS))
@pytest.mark.parametrize("kind", KINDS)
def test_the_decision_table_denies_exactly_the_violating_requests(kind, name, aws_fills_defaults):
    policy = generate(kind, INPUTS[name])
    outcomes = prove(policy, aws_fills_defaults=aws_fills_defaults)
    wrong = [(o.row.name, o.result.decision.value, o.reasons) for o in outcomes if not o.as_expected]
    assert wrong == []
    by_name = {o.row.name: o for o in outcomes}
    assert by_name["no subnet (the console's default)"].denied
    assert "DenyCreateNotebookWithoutVpcSubnets" in by_name["no subnet (the console's default)"].denied_by
    assert not by_name["compliant: approved subnet, no internet, no root"].denied
    assert not by_name["notebook-guard's own recreate request"].denied
    assert by_name["direct internet access Enabled"].denied
    assert by_name["DirectInternetAccess not given (defaults to Enabled)"].denied
    exempt = [o for o in outcomes if o.row.exempt]
    assert all(not o.denied for o in exempt)
    assert len(exempt) == bool(policy.inputs.exempt_principal_tag) + bool(policy.inputs.exempt_role_arns)


def test_what_is_denied_follows_the_settings():
    def denied(inputs: PreventionInputs) -> set[str]:
        return {o.row.name for o in prove(generate(MANAGED_POLICY, inputs)) if o.denied}

    anywhere = denied(INPUTS["defaults (no approved list)"])
    approved = denied(INPUTS["approved subnets, break-glass role"])
    assert "subnet outside the approved list" not in anywhere  # no list: any subnet passes, as in the evaluation
    assert "subnet outside the approved list" in approved
    assert "root access Enabled" in approved and "update: RootAccess Enabled" in approved
    assert "root access Enabled" not in denied(INPUTS["root access allowed, no exemption"])
    assert "another security group" not in approved  # not a violation notebook-guard remediates...
    assert "another security group" in denied(INPUTS["restricted security groups"])  # ...unless opted in


def test_a_policy_that_does_not_deny_fails_the_proof():
    policy = generate(SCP, INPUTS["approved subnets, break-glass role"])
    only_null = [s for s in policy.document["Statement"] if "Null" in s["Condition"]]
    no_denies = {"Version": "2012-10-17", "Statement": only_null}
    failing = {o.row.name for o in prove(policy, document=no_denies) if not o.as_expected}
    assert "subnet outside the approved list" in failing and "direct internet access Enabled" in failing
    everything_denied = {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "DenyAll", "Effect": "Deny", "Action": "sagemaker:*", "Resource": "*"}],
    }
    assert "compliant: approved subnet, no internet, no root" in {
        o.row.name for o in prove(policy, document=everything_denied) if not o.as_expected
    }


def test_every_statement_names_the_key_it_relies_on_and_carries_the_exemption():
    policy = generate(SCP, PreventionInputs(approved_subnet_ids=(SUBNET_A,), approved_security_group_ids=(GROUP,),
                                            exempt_role_arns=(BREAK_GLASS,)))
    for rule, statement in zip(policy.rules, policy.document["Statement"], strict=True):
        assert statement["Sid"] == rule.sid and statement["Effect"] == "Deny"
        assert rule.key.split(":", 1)[1] in rule.sid
        assert rule.key in json.dumps(statement["Condition"])
        assert statement["Condition"]["StringNotEquals"]["aws:PrincipalTag/notebook-guard:break-glass"] == "true"
        assert statement["Condition"]["ArnNotLike"]["aws:PrincipalArn"] == BREAK_GLASS
    # Multivalued keys use a set operator that is false when the key is absent (Null covers that case).
    conditions = [s["Condition"] for s in policy.document["Statement"]]
    assert {"ForAnyValue:StringNotEquals"} == {
        op for c in conditions for op, entries in c.items() if set(entries) & {"sagemaker:VpcSubnets",
                                                                              "sagemaker:VpcSecurityGroupIds"}
    } - {"Null"}


def test_for_any_value_string_not_equals_denies_when_any_subnet_is_outside_the_list():
    statement = generate(MANAGED_POLICY, PreventionInputs(approved_subnet_ids=(SUBNET_A,))).document["Statement"][1]
    deny = [Policy({"Version": "2012-10-17", "Statement": [statement]})]

    def decision(subnets):
        context = {} if subnets is None else {"sagemaker:VpcSubnets": subnets}
        return authorize([deny], "sagemaker:CreateNotebookInstance", "*", context).decision

    assert decision([SUBNET_A]) is Decision.IMPLICIT_DENY  # not denied by this statement
    assert decision([SUBNET_B]) is Decision.EXPLICIT_DENY
    assert decision([SUBNET_A, SUBNET_B]) is Decision.EXPLICIT_DENY
    assert decision(None) is Decision.IMPLICIT_DENY  # absent: the Null statement's job


def test_the_boundary_allows_what_identity_policies_grant_and_the_others_grant_nothing():
    inputs = PreventionInputs()
    assert all(s["Effect"] == "Deny" for s in generate(SCP, inputs).document["Statement"])
    assert all(s["Effect"] == "Deny" for s in generate(MANAGED_POLICY, inputs).document["Statement"])
    boundary = generate(PERMISSIONS_BOUNDARY, inputs).document["Statement"]
    assert boundary[-1] == prevention.BOUNDARY_ALLOW
    # Used as a boundary, a deny-only policy would allow nothing at all: the compliant row proves the Allow works.
    compliant = decision_table(generate(PERMISSIONS_BOUNDARY, inputs))[0]
    layers = [[Policy({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})],
              [Policy(generate(MANAGED_POLICY, inputs).document)]]
    assert not authorize(layers, compliant.call, "*", context_of(compliant)).allowed


def test_sizes_are_checked_against_awss_limits():
    many = tuple(f"subnet-{i:017x}" for i in range(170))
    assert generate(MANAGED_POLICY, PreventionInputs(approved_subnet_ids=many)).size <= 6144
    with pytest.raises(PreventionError, match="over AWS's limit of 5120"):
        generate(SCP, PreventionInputs(approved_subnet_ids=many))
    default = generate(SCP, PreventionInputs())
    assert default.size == len(default.text) < 5120
    assert " " not in default.text.replace("aws:PrincipalTag", "")  # compact: what is submitted is what counts
    # A CloudFormation token counts as the id it stands for.
    token = generate(MANAGED_POLICY, PreventionInputs(approved_subnet_ids=("${Token[TOKEN.123]}",)))
    plain = generate(MANAGED_POLICY, PreventionInputs(approved_subnet_ids=(SUBNET_A,)))
    assert token.size == plain.size


def test_inputs_come_from_the_stacks_settings_and_agree_with_the_stack_validation():
    contexts = [
        {},
        {"approved_subnet_ids": SUBNET_A, "target_subnet_ids": [SUBNET_A], "target_security_group_ids": [GROUP]},
        {"root_access": "allowed", "prevention_exempt_principal_tag": "", "prevention_exempt_role_arns": BREAK_GLASS},
    ]
    for context in contexts:
        settings = StackSettings.from_context(context)
        assert PreventionInputs.from_context(context, region="us-east-1") == PreventionInputs.from_context(
            settings.model_dump(), region="us-east-1"
        )
    inputs = PreventionInputs.from_context(contexts[1], restrict_security_groups=True, region="eu-west-1")
    assert inputs.approved_subnet_ids == (SUBNET_A,) and inputs.approved_security_group_ids == (GROUP,)
    assert PreventionInputs.from_context(contexts[2]).exempt_principal_tag is None


def test_the_stacks_own_subnets_must_be_given_when_an_approved_list_is_set():
    with pytest.raises(PreventionError, match="TargetSubnetIds"):
        PreventionInputs.from_context({"approved_subnet_ids": [SUBNET_A]}, region="us-east-1")
    inputs = PreventionInputs.from_context(
        {"approved_subnet_ids": [SUBNET_A]}, stack_subnet_ids=(SUBNET_B,), region="us-east-1"
    )
    assert inputs.approved_subnet_ids == (SUBNET_A, SUBNET_B)
    with pytest.raises(PreventionError, match="regional"):
        PreventionInputs.from_context({"approved_subnet_ids": [SUBNET_A]}, stack_subnet_ids=(SUBNET_B,))


def test_a_regional_policy_denies_only_in_its_region():
    policy = generate(SCP, INPUTS["a region's policy"])
    assert {s["Resource"] for s in policy.document["Statement"]} == {
        "arn:aws:sagemaker:eu-west-1:123456789012:notebook-instance/*"
    }
    assert all(o.as_expected for o in prove(policy))  # the proof's requests are made in the policy's region
    elsewhere = "arn:aws:sagemaker:us-east-1:123456789012:notebook-instance/x"
    layers = [[Policy(policy.document, "p", "scp")]]
    assert authorize(layers, "sagemaker:CreateNotebookInstance", elsewhere, {}).decision is Decision.IMPLICIT_DENY


@pytest.mark.parametrize(
    ("context", "message"),
    [
        ({"approved_subnet_ids": "subnet-xyz"}, "approved_subnet_ids"),
        ({"root_access": "sometimes"}, "root_access"),
        ({"prevention_exempt_principal_tag": "aws:bad"}, "prevention_exempt_principal_tag"),
        ({"prevention_exempt_role_arns": "arn:aws:iam::1:user/x"}, "prevention_exempt_role_arns"),
    ],
)
def test_bad_settings_are_refused_with_their_name(context, message):
    with pytest.raises(PreventionError, match=message):
        PreventionInputs.from_context(context)

"""Every generated preventive policy passes a policy linter from PyPI (parliament, pinned in requirements-dev.txt),
and the condition keys it relies on are those AWS lists for each action, with the types AWS gives them
(parliament ships the Service Authorization Reference's tables as iam_definition.json: a second reading of the
page the keys were taken from)."""

from __future__ import annotations

import json

import parliament
import pytest

from notebook_guard.permissions import request_context as keys
from notebook_guard.permissions.prevention import KINDS, PreventionInputs, generate, rules

VARIANTS = {
    "defaults": PreventionInputs(),
    "everything": PreventionInputs(
        approved_subnet_ids=("subnet-0123456789abcdef0", "subnet-0123456789abcdef1"),
        approved_security_group_ids=("sg-0123456789abcdef0",),
        exempt_role_arns=("arn:aws:iam::123456789012:role/BreakGlass", "arn:aws:iam::*:role/Admin*"),
    ),
    "root allowed, no exemption": PreventionInputs(root_access_disabled=False, exempt_principal_tag=None),
    "one region": PreventionInputs(approved_subnet_ids=("subnet-0123456789abcdef0",), region="eu-west-1"),
}


def findings(text: str) -> list[tuple[str, object]]:
    policy = parliament.analyze_policy_string(text, include_community_auditors=False)
    return [(f.issue, f.detail) for f in policy.findings]


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("kind", KINDS)
def test_every_generated_policy_passes_the_linter_within_awss_size_limit(kind, variant):
    policy = generate(kind, VARIANTS[variant])
    assert findings(policy.text) == []
    assert policy.size <= policy.limit
    assert json.loads(policy.text) == policy.document


def test_the_linter_is_live_a_misplaced_key_or_a_wrong_operator_is_reported():
    document = generate("managed-policy", PreventionInputs()).document
    misplaced = json.loads(json.dumps(document))
    misplaced["Statement"][1]["Action"] = keys.UPDATE  # DirectInternetAccess is not a key of UpdateNotebookInstance
    assert [issue for issue, _ in findings(json.dumps(misplaced))] == ["UNKNOWN_CONDITION_FOR_ACTION"]
    mistyped = json.loads(json.dumps(document))
    mistyped["Statement"][1]["Condition"] = {"Bool": {keys.DIRECT_INTERNET_ACCESS: "true"}}
    assert [issue for issue, _ in findings(json.dumps(mistyped))] == ["MISMATCHED_TYPE"]


def _sagemaker() -> dict:
    return next(service for service in parliament.iam_definition if service["prefix"] == "sagemaker")


def test_each_key_is_one_aws_lists_for_the_action_with_the_type_it_gives():
    service = _sagemaker()
    types = {c["condition"]: c["type"] for c in service["conditions"]}
    privileges = {p["privilege"]: p for p in service["privileges"]}
    inputs = VARIANTS["everything"]
    for rule in rules(inputs):
        action = privileges[rule.action.split(":", 1)[1]]
        supported = {k for resource in action["resource_types"] for k in resource["condition_keys"]}
        assert rule.key in supported, f"{rule.key} is not a condition key of {rule.action}"
        assert types[rule.key] == ("ArrayOfString" if keys.is_multivalued(rule.key) else "String")
    for call, derived in keys.SUPPORTED.items():
        action = privileges[call.split(":", 1)[1]]
        supported = {k for resource in action["resource_types"] for k in resource["condition_keys"]}
        assert set(derived) <= supported
    # StartNotebookInstance has none of them: the policy cannot stop a non-compliant notebook from starting.
    start = privileges["StartNotebookInstance"]
    assert not {k for r in start["resource_types"] for k in r["condition_keys"]} & set(keys.SUPPORTED[keys.CREATE])

"""cdk-nag AwsSolutionsChecks: no unacknowledged error or warning, and every acknowledgement gives its reason."""

from __future__ import annotations

import pytest
from aws_cdk import Validations
from cdk_nag import AwsSolutionsChecks


@pytest.mark.parametrize("stack_name", ["default_stack", "existing_stack"])
def test_no_unacknowledged_findings(stack_name, request):
    synth = request.getfixturevalue(stack_name)
    report = AwsSolutionsChecks(synth.app).validate_scope(synth.app)
    findings = [
        f"{v.severity} {v.rule_name}: {[r.construct_path for r in v.violating_resources]}" for v in report.violations
    ]
    assert findings == []


def _acknowledgements(construct):
    for entry in construct.node.metadata:
        if entry.type == Validations.ACKNOWLEDGED_RULES_METADATA_KEY:
            yield from (entry.data or {}).items()
    for child in construct.node.children:
        yield from _acknowledgements(child)


def test_every_acknowledgement_names_its_finding_and_reason(default_stack):
    acknowledgements = list(_acknowledgements(default_stack.app))
    assert acknowledgements
    for rule, reason in acknowledgements:
        assert isinstance(reason, str) and len(reason) >= 30, (rule, reason)
        if "IAM5" in rule:
            assert "[" in rule, f"IAM5 must be acknowledged per finding, not wholesale: {rule}"


def test_no_destructive_action_is_acknowledged_as_a_wildcard(default_stack):
    for rule, _ in _acknowledgements(default_stack.app):
        assert "Action::sagemaker" not in rule and "Action::ec2" not in rule, rule

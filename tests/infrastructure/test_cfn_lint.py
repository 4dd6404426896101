"""cfn-lint finds nothing in the synthesized templates (default settings; an existing network with approvals and
every Security Hub option)."""

from __future__ import annotations

import json

import pytest
from cfnlint.api import ManualArgs, lint

# CDK emits a DependsOn from each function to its role that the function's GetAtt of the role already implies;
# it is harmless and not ours to remove.
IGNORED = {"W3005": "CDK's DependsOn from a Lambda function to its role, also implied by the role's GetAtt"}


@pytest.mark.parametrize("stack_name", ["default_stack", "existing_stack"])
def test_cfn_lint_is_clean(stack_name, request):
    synth = request.getfixturevalue(stack_name)
    matches = lint(json.dumps(synth.json), config=ManualArgs(regions=["us-east-1"], ignore_checks=list(IGNORED)))
    assert [str(m) for m in matches] == []

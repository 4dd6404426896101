"""The stack's Security Hub and approval parts (issue 14): the finding rule, the custom actions and their function,
the grants (least privilege: statuses, own product, the state machine), the Approval step in the definition."""

from __future__ import annotations

import json

from notebook_guard.workflow_steps import EXECUTION_TIMEOUT_SECONDS
from tests.infrastructure.test_stack import _machine, _rules, _statements_of_role


def statements(synth, guard) -> list[dict]:
    return _statements_of_role(synth, synth.logical_id(guard.role))


def actions_of(statement) -> list[str]:
    return statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]


def test_the_finding_rule_matches_new_failed_notebook_control_findings_into_the_intake(default_stack):
    intake = default_stack.logical_id(default_stack.stack.detection.intake.function)
    (rule,) = [r for r in _rules(default_stack) if r.get("EventPattern", {}).get("source") == ["aws.securityhub"]]
    assert rule["EventPattern"]["detail-type"] == ["Security Hub Findings - Imported"]
    assert rule["EventPattern"]["detail"]["findings"] == {
        "Compliance": {"Status": ["FAILED"], "SecurityControlId": ["SageMaker.1", "SageMaker.2", "SageMaker.3"]},
        "RecordState": ["ACTIVE"],
        "Workflow": {"Status": ["NEW"]},
        "Resources": {"Type": ["AwsSageMakerNotebookInstance"]},
    }
    assert rule["Targets"][0]["Arn"] == {"Fn::GetAtt": [intake, "Arn"]}


def test_without_approvals_there_are_no_custom_actions_and_no_own_findings_grant(default_stack):
    assert default_stack.resources("Custom::AWS") == {}
    assert default_stack.stack.approval_action is None
    notify = statements(default_stack, default_stack.stack.workflow.steps["Notify"])
    assert not any("securityhub:BatchImportFindings" in actions_of(s) for s in notify)
    (update,) = [s for s in notify if "securityhub:BatchUpdateFindings" in actions_of(s)]
    assert update["Condition"] == {
        "StringEqualsIfExists": {"securityhub:ASFFSyntaxPath/Workflow.Status": ["NOTIFIED", "RESOLVED"]}
    }
    assert json.dumps(update["Resource"]).endswith(':hub/default"]]}')


def test_the_custom_actions_reach_a_function_that_may_only_answer_the_state_machine(existing_stack):
    stack = existing_stack.stack
    created = {
        json.loads(r["Properties"]["Create"])["parameters"]["Id"]: json.loads(r["Properties"]["Create"])
        for r in existing_stack.resources("Custom::AWS").values()
    }
    assert set(created) == {"NotebookGuardApprove", "NotebookGuardReject"}
    for call in created.values():
        assert call["action"] == "createActionTarget" and len(call["parameters"]["Name"]) <= 20
        assert "InvalidAccessException" in call["ignoreErrorCodesMatching"]  # Security Hub off: deploy goes on
    function = stack.approval_action.function
    (rule,) = [
        r
        for r in _rules(existing_stack)
        if r.get("EventPattern", {}).get("detail-type") == ["Security Hub Findings - Custom Action"]
    ]
    assert len(rule["EventPattern"]["resources"]) == 2
    assert rule["Targets"][0]["Arn"] == {"Fn::GetAtt": [existing_stack.logical_id(function.function), "Arn"]}
    machine = existing_stack.logical_id(stack.workflow.state_machine)
    (send,) = [s for s in statements(existing_stack, function) if "states:SendTaskSuccess" in actions_of(s)]
    assert sorted(actions_of(send)) == ["states:SendTaskFailure", "states:SendTaskSuccess"]
    assert send["Resource"] == {"Ref": machine}
    env = existing_stack.json["Resources"][existing_stack.logical_id(function.function)]["Properties"]["Environment"]
    assert "NotebookGuardApprove" in json.dumps(env["Variables"]["NG_APPROVE_ACTION_ARN"])


def test_the_options_grant_what_they_need_and_reach_the_functions(existing_stack):
    steps = existing_stack.stack.workflow.steps
    notify = statements(existing_stack, steps["Notify"])
    (own,) = [s for s in notify if "securityhub:BatchImportFindings" in actions_of(s)]
    assert own["Condition"] == {"StringEquals": {"securityhub:TargetAccount": {"Ref": "AWS::AccountId"}}}
    assert json.dumps(own["Resource"]).endswith('"/default"]]}')
    (update,) = [s for s in notify if "securityhub:BatchUpdateFindings" in actions_of(s)]
    assert update["Condition"]["StringEqualsIfExists"]["securityhub:ASFFSyntaxPath/Workflow.Status"][-1] == "SUPPRESSED"
    variables = existing_stack.json["Resources"][existing_stack.logical_id(steps["Evaluate"].function)]["Properties"][
        "Environment"
    ]["Variables"]
    assert variables["NG_APPROVAL"] == "existing-notebooks" and variables["NG_APPROVAL_TIMEOUT_SECONDS"] == "172800"
    assert variables["NG_APPROVAL_FALLBACK"] == "quarantine" and variables["NG_FINDING_ACTION"] == "quarantine"
    assert variables["NG_OWN_FINDINGS"] == "true" and variables["NG_SUPPRESS_EXEMPT_FINDINGS"] == "true"


def test_the_state_machine_waits_for_a_person_through_the_approval_function(default_stack):
    properties = _machine(default_stack)
    definition = json.loads(properties["DefinitionString"])
    task = definition["States"]["Ask a person to approve"]
    assert task["Resource"] == "arn:aws:states:::lambda:invoke.waitForTaskToken"
    approval = default_stack.logical_id(default_stack.stack.workflow.steps["Approval"].function)
    assert properties["DefinitionSubstitutions"]["ApprovalFunctionArn"] == {"Fn::GetAtt": [approval, "Arn"]}
    # The machine outlives the longest approval wait plus the remediation itself.
    assert definition["TimeoutSeconds"] == EXECUTION_TIMEOUT_SECONDS == 48 * 3600 + 7 * 86400

"""The stack follows the workflow contract (STEPS, ASL placeholders, EXTRA_SUBSTITUTIONS) and fails synth,
naming the problem, when the contract and the stack disagree."""

from __future__ import annotations

import json

import pytest
from aws_cdk import App, Stack

from infra import permissions
from infra.constructs import workflow
from infra.settings import StackSettings
from notebook_guard import workflow_steps
from notebook_guard.permissions import table
from notebook_guard.permissions.principals import Principal
from tests.conftest import ROOT


def test_every_call_of_the_steps_has_a_row_in_the_permission_table():
    used = {call for step in workflow_steps.STEPS for call in step.calls}
    assert used <= set(table.BY_CALL)


def test_a_call_without_a_row_fails_synth_naming_it():
    stack = Stack(App(), "S")
    principal = Principal("Teleport", ("sagemaker:TeleportNotebookInstance",))
    with pytest.raises(table.UnknownCall, match=r"sagemaker:TeleportNotebookInstance has no row"):
        permissions.grant_of(principal, permissions.stack_names())
    del stack


def test_a_call_without_its_resource_fails_naming_the_function():
    with pytest.raises(permissions.MissingName, match="Teleport calls s3:PutObject, which needs the snapshot bucket"):
        permissions.grant_of(Principal("Teleport", ("s3:PutObject",)), permissions.stack_names())


def _build(context=None):
    from infra.stack import NotebookGuardStack

    return NotebookGuardStack(App(), "T", settings=StackSettings.from_context(context or {}))


@pytest.mark.slow
def test_an_extra_substitution_the_stack_cannot_fill_fails_synth(monkeypatch):
    monkeypatch.setattr(
        workflow_steps, "EXTRA_SUBSTITUTIONS", {"QuantumBucket": "where entangled snapshots go"}, raising=False
    )
    with pytest.raises(workflow.WorkflowContractError, match=r"QuantumBucket \(where entangled snapshots go\)"):
        _build()


@pytest.mark.slow
def test_extra_substitutions_are_filled(monkeypatch, tmp_path):
    asl = tmp_path / "machine.asl.json"
    definition = json.loads((ROOT / workflow_steps.ASL_PATH).read_text())
    definition["Comment"] = "alerts go to ${AlertTopicArn}"
    asl.write_text(json.dumps(definition))
    monkeypatch.setattr(workflow, "asl_path", lambda: asl)
    monkeypatch.setattr(workflow_steps, "EXTRA_SUBSTITUTIONS", {"AlertTopicArn": "the alert topic"}, raising=False)
    stack = _build()
    assert "AlertTopicArn" in stack.workflow.substitutions


@pytest.mark.slow
def test_a_placeholder_without_a_value_fails_synth(monkeypatch, tmp_path):
    asl = tmp_path / "machine.asl.json"
    asl.write_text(
        '{"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "${TeleportFunctionArn}", "End": true}}}'
    )
    monkeypatch.setattr(workflow, "asl_path", lambda: asl)
    with pytest.raises(workflow.WorkflowContractError, match=r"\$\{TeleportFunctionArn\} with no value"):
        _build()


def test_the_deploy_guide_documents_every_setting():
    guide = (ROOT / "README.md").read_text()
    missing = [name for name in StackSettings.model_fields if f"| `{name}` |" not in guide]
    assert missing == []


def test_a_bad_setting_stops_the_app_before_any_construct_is_built():
    from infra.settings import SettingsError
    from infra.stack import build_app

    with pytest.raises(SettingsError, match=r"^invalid setting sweep_action=purge: expected one of"):
        build_app({"sweep_action": "purge"})


def test_the_architecture_diagram_names_every_step_and_detector():
    guide = (ROOT / "README.md").read_text()
    diagram = guide.split("```mermaid", 1)[1].split("```", 1)[0]
    missing = [s.key for s in workflow_steps.STEPS if s.key not in diagram]
    missing += [
        word
        for word in ("intake", "sweep", "CloudTrail", "State Change", "schedule", "DLQ", "KMS")
        if word not in diagram
    ]
    assert missing == [], f"README.md architecture diagram is out of date: {missing}"

"""One remediation per notebook at a time: duplicate triggers collapse into one execution."""

from __future__ import annotations

from notebook_guard.domain.models import Trigger
from notebook_guard.services import detection
from notebook_guard.settings import Settings


def test_repeated_events_and_the_sweep_collapse_into_one_execution(harness):
    harness.create_notebook("analysis", "InService")
    settings = Settings(state_machine_arn=harness.runner.state_machine_arn, sweep_action="remediate")
    evaluation = detection.inspect("analysis", settings)

    first = detection.hand_on(evaluation, Trigger.EVENT, settings, {"event_id": "1"})
    again = detection.hand_on(evaluation, Trigger.EVENT, settings, {"event_id": "2"})
    sweep = detection.hand_on(evaluation, Trigger.SWEEP, settings, {"detail_type": "Scheduled Event"})

    assert first.outcome is detection.Outcome.WORKFLOW_STARTED
    assert again.outcome is sweep.outcome is detection.Outcome.DUPLICATE
    assert again.execution_arn == sweep.execution_arn == first.execution_arn
    execution = harness.runner.wait(first.execution_arn)
    assert execution.status == "SUCCEEDED"
    executions = harness.runner_executions()
    assert len(executions) == 1
    assert harness.faults.calls.count("sagemaker:DeleteNotebookInstance") == 1


def test_the_recreated_notebook_is_a_new_incarnation(harness):
    harness.create_notebook("analysis", "InService")
    settings = Settings(state_machine_arn=harness.runner.state_machine_arn)
    first = detection.hand_on(detection.inspect("analysis", settings), Trigger.EVENT, settings)
    harness.runner.wait(first.execution_arn)
    # The replacement is compliant; were it not, a new creation time means a new execution name.
    assert detection.inspect("analysis", settings).compliant

"""Evaluate: re-read the notebook now and decide the path; normalise the execution document."""

from __future__ import annotations

from notebook_guard.aws import sagemaker
from notebook_guard.domain.approval import approval_required
from notebook_guard.domain.errors import InvalidExecutionInput
from notebook_guard.domain.naming import is_valid_notebook_name
from notebook_guard.domain.triggers import parse_trigger
from notebook_guard.domain.waits import WaitSchedule
from notebook_guard.domain.workflow import decide_path, parse_action, was_running
from notebook_guard.handlers.steps.common import creation_time_of, step
from notebook_guard.services.detection import evaluate_described
from notebook_guard.settings import get_settings

# "announced": the intake sent remediation-started, so this execution owes a closing alert whatever its end;
# "lease_note": why the trigger chose this action (e.g. notify once the attempt bound is reached).
_KEPT_INPUT = ("notebook_name", "notebook_arn", "trigger", "source", "announced", "lease_note")


@step
def handler(event: dict) -> dict:
    settings = get_settings()
    given = event.get("input") or {}
    name = given.get("notebook_name")
    if not is_valid_notebook_name(name):
        raise InvalidExecutionInput(f"notebook_name {name!r} is not a valid notebook instance name")
    try:
        trigger = parse_trigger(given.get("trigger"))
        action = parse_action(given.get("action"), settings.action_for(trigger))
    except ValueError as error:
        raise InvalidExecutionInput(str(error)) from None

    describe = sagemaker.describe_notebook(name, settings.region)
    evaluation = evaluate_described(describe, settings) if describe else None
    path = decide_path(evaluation)
    document = {k: given.get(k) for k in _KEPT_INPUT}
    document.update(
        {
            "trigger": trigger.value,
            "action": action.value,
            "announced": bool(given.get("announced")),
            "execution_id": event.get("execution_id"),
            "started_at": event.get("started_at"),
            "waits": WaitSchedule.from_dict(given.get("waits"), settings.wait_schedule).to_dict(),
            "loop": {"until": None},
            # The approval gate, from the deployment's settings only: an execution input cannot skip it.
            "approval": {
                "required": approval_required(settings.approval.value, trigger.value, action.value),
                "setting": settings.approval.value,
                "timeout_seconds": settings.approval_timeout_seconds,
                "fallback": settings.approval_fallback.value,
                # The person's decision, once there is one (the approval task's result, or its Catch).
                "decision": None,
            },
            "evaluation": {
                **(evaluation.to_dict() if evaluation else {"notebook_name": name}),
                "path": path,
                "creation_time": creation_time_of(describe) if describe else None,
                "was_running": was_running(describe["NotebookInstanceStatus"]) if describe else False,
            },
        }
    )
    if describe:
        document["notebook_arn"] = describe["NotebookInstanceArn"]
    return document

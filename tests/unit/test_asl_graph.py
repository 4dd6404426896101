"""The ASL file itself: every step it calls exists, every Task is guarded, Delete is only reachable through the
snapshot and the preflight, every end passes through the lease's release and a closing alert."""

from __future__ import annotations

import importlib
import json
import re

import pytest

from notebook_guard.domain import errors
from notebook_guard.domain.waits import CALLBACK_TIMEOUTS, DEFAULT_HEARTBEATS, TARGETS, heartbeat_key
from notebook_guard.workflow_steps import (
    ASL_PATH,
    CALLBACK_RESOURCE,
    EXECUTION_TIMEOUT_SECONDS,
    EXTRA_SUBSTITUTIONS,
    STEPS,
    substitution_key,
)
from tests.conftest import ROOT

DEFINITION = json.loads((ROOT / ASL_PATH).read_text())
STATES = DEFINITION["States"]
STEP_OF = {"${" + substitution_key(s) + "}": s for s in STEPS}


def successors(state: dict) -> set[str]:
    nexts = {state.get("Next"), state.get("Default")}
    nexts |= {c["Next"] for c in state.get("Choices", [])}
    nexts |= {c["Next"] for c in state.get("Catch", [])}
    return {n for n in nexts if n}


def reachable(start: str, removed: set[str] = frozenset()) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        name = todo.pop()
        if name in seen or name in removed:
            continue
        seen.add(name)
        todo += successors(STATES[name])
    return seen


def function_of(state: dict) -> str | None:
    """The step function a Task calls: its Resource, or for a callback task its FunctionName."""
    if state.get("Resource") == CALLBACK_RESOURCE:
        return state["Parameters"]["FunctionName"]
    return state.get("Resource")


def states_calling(key: str) -> list[str]:
    return [n for n, s in STATES.items() if function_of(s) == "${" + f"{key}FunctionArn" + "}"]


PROBE = "${ProbeFunctionArn}"


def callback_tasks() -> dict[str, dict]:
    return {n: s for n, s in STATES.items() if s.get("Resource") == CALLBACK_RESOURCE}


def failure_catchers() -> list[tuple[str, dict]]:
    """States whose Catch is a failure path (a callback task's Catch is its wait's polling fallback)."""
    return [(n, s) for n, s in STATES.items() if n not in callback_tasks()]


def test_every_next_names_a_state_and_every_state_is_reachable():
    for name, state in STATES.items():
        assert successors(state) <= set(STATES), name
    assert reachable(DEFINITION["StartAt"]) == set(STATES)


def test_substitutions_match_the_step_table():
    used = set(re.findall(r"\$\{(\w+)\}", (ROOT / ASL_PATH).read_text()))
    assert used == {substitution_key(s) for s in STEPS} | set(EXTRA_SUBSTITUTIONS)


def test_every_step_handler_is_importable():
    for step in STEPS:
        module, attribute = step.handler.rsplit(".", 1)
        assert callable(getattr(importlib.import_module(module), attribute)), step.key


def test_delete_is_reachable_only_through_the_snapshot_and_the_preflight():
    (delete,) = states_calling("Delete")
    assert delete in reachable(DEFINITION["StartAt"])
    for guard in ("Snapshot", "Preflight"):
        (guard_state,) = states_calling(guard)
        assert delete not in reachable(DEFINITION["StartAt"], removed={guard_state}), guard
    # Nor can a failure path lead to it: no Catch reaches the Delete state (but a callback wait's, whose fallback is the
    # polling loop of the same wait, on the same path: see the callback test below).
    for name, state in failure_catchers():
        for catch in state.get("Catch", []):
            assert delete not in reachable(catch["Next"]), name


def test_a_failed_replacement_is_deleted_only_after_this_execution_created_it():
    """Deleting a replacement is reachable only through Create, only from the in-service wait's failed branch, never
    from a failure path; and a retry waits until the name is free before creating again. (The step itself checks the
    lease marks and the execution tag: tests/workflow/test_path.py.)"""
    (discard,) = states_calling("Discard")
    (create,) = states_calling("Create")
    (delete,) = states_calling("Delete")
    start = DEFINITION["StartAt"]
    assert discard in reachable(start)
    for guard in (create, delete, *states_calling("Snapshot"), *states_calling("Preflight")):
        assert discard not in reachable(start, removed={guard}), guard
    assert {n for n, s in STATES.items() if discard in successors(s)} == {"Is the new notebook in service?"}
    assert STATES["Is the new notebook in service?"]["Choices"][1] == {
        "Variable": "$.loop.failed",
        "BooleanEquals": True,
        "Next": discard,
    }
    for name, state in failure_catchers():
        for catch in state.get("Catch", []):
            assert discard not in reachable(catch["Next"]), name
    # Once discarded, the replacement's deletion is awaited (its event, or the polling loop): Create comes only after
    # the wait for "gone" says so.
    gone_choice = "Is it gone?"
    assert create in reachable(discard)
    assert create not in reachable(STATES[discard]["Next"], removed={gone_choice})


# AWS's list for Lambda tasks ("Handle Lambda service exceptions", Step Functions best practices).
AWS_RECOMMENDED_LAMBDA_RETRIES = {
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.ClientExecutionTimeoutException",
    "Lambda.TooManyRequestsException",
}
RELEASE = "Release the lease"
TERMINAL = {n for n, s in STATES.items() if s["Type"] in ("Succeed", "Fail")}


def lambda_tasks() -> dict[str, dict]:
    return {n: s for n, s in STATES.items() if s["Type"] == "Task" and function_of(s) in STEP_OF}


def test_every_lambda_task_retries_the_aws_recommended_lambda_errors_and_our_transient_one():
    assert lambda_tasks() and {n for n, s in STATES.items() if s["Type"] == "Task"} == set(lambda_tasks())
    for name, state in lambda_tasks().items():
        retried = {e for r in state.get("Retry", []) for e in r["ErrorEquals"]}
        assert AWS_RECOMMENDED_LAMBDA_RETRIES | {"TransientAwsError"} <= retried, (name, sorted(retried))


def test_every_task_catches_everything():
    for name, state in lambda_tasks().items():
        assert any("States.ALL" in c["ErrorEquals"] for c in state.get("Catch", [])), name


def test_create_retries_transient_errors_for_at_least_15_minutes():
    (create,) = states_calling("Create")
    (retrier,) = [r for r in STATES[create]["Retry"] if "TransientAwsError" in r["ErrorEquals"]]
    assert "JitterStrategy" not in retrier  # full jitter could shrink the budget towards zero
    delays, interval = [], retrier["IntervalSeconds"]
    for _ in range(retrier["MaxAttempts"]):
        delays.append(min(interval, retrier.get("MaxDelaySeconds", interval)))
        interval *= retrier["BackoffRate"]
    assert sum(delays) >= 15 * 60, sum(delays)
    assert "Lambda.Unknown" in retrier["ErrorEquals"]  # a timed-out invocation: Create settles it by Describe
    # The runbook states the budget the file has.
    assert f"**{sum(delays):,.0f} s (22.5 min)**" in (ROOT / "docs" / "workflow.md").read_text()


def test_every_end_passes_through_the_release_of_the_lease():
    (release,) = [n for n, s in STATES.items() if s.get("Resource") == "${LeaseFunctionArn}" and n == RELEASE]
    assert STATES[release]["Parameters"]["op"] == "release"
    # Only the release and the choice after it lead to an end; every other state reaches the release.
    for name, state in STATES.items():
        if name in TERMINAL:
            continue
        if successors(state) & TERMINAL:
            assert name == "How did it end?", name
        assert RELEASE in reachable(name) or name == "How did it end?", name
    assert successors(STATES[release]) == {"How did it end?"}  # Next and Catch alike
    assert set(DEFINITION["States"]["How did it end?"]["Choices"][0]) == {"Variable", "IsPresent", "Next"}


def test_every_path_to_the_release_passes_a_closing_alert():
    notify_states = set(states_calling("Notify"))
    assert RELEASE not in reachable(DEFINITION["StartAt"], removed=notify_states)


def test_the_lease_is_taken_before_anything_changes_the_notebook():
    (hold,) = [n for n, s in STATES.items() if (s.get("Parameters") or {}).get("op") == "hold"]
    for key in ("Snapshot", "Stop", "Delete", "Create", "Update", "Start"):
        for state in states_calling(key):
            assert state not in reachable(DEFINITION["StartAt"], removed={hold}), state


def test_the_state_machine_timeout_is_the_one_the_lease_expiry_relies_on():
    assert DEFINITION["TimeoutSeconds"] == EXECUTION_TIMEOUT_SECONDS


def test_error_names_in_retry_and_catch_are_our_exception_classes_or_aws_ones():
    names = {
        e for s in STATES.values() for block in s.get("Retry", []) + s.get("Catch", []) for e in block["ErrorEquals"]
    }
    for name in names:
        assert name.startswith(("Lambda.", "States.")) or isinstance(getattr(errors, name, None), type), name


def test_waits_take_their_seconds_from_the_execution_data():
    waits = [s for s in STATES.values() if s["Type"] == "Wait"]
    assert len(waits) == 6
    assert all(s.get("SecondsPath") == "$.loop.next_wait" for s in waits)


@pytest.mark.parametrize("name", [n for n, s in STATES.items() if s["Type"] == "Wait"])
def test_every_wait_loop_has_a_bound_that_ends_in_the_stuck_alert(name):
    probe = STATES[name]["Next"]
    choice = STATES[STATES[probe]["Next"]]
    assert {"Variable": "$.loop.stuck", "BooleanEquals": True, "Next": "Alert that the notebook is stuck"} in choice[
        "Choices"
    ]


def test_every_wait_starts_as_a_callback_task_with_a_heartbeat_that_falls_back_to_its_polling_loop():
    """The reusable wait: "Await X (event)" (a callback task answered by SageMaker's event, the reconciler or itself)
    -> the wait's Choice; no answer within the heartbeat, or any error -> the polling loop of the same target,
    whose bound ends in the stuck alert. Six waits, six callback tasks."""
    # Every loop of the notebook Probe is a fallback (a loop polling something else, an S3 marker say, may not be).
    waits = [n for n, s in STATES.items() if s["Type"] == "Wait" and function_of(STATES[s["Next"]]) == PROBE]
    assert len(callback_tasks()) == len(waits) >= len(TARGETS)
    seen_targets = set()
    for wait in waits:
        probe = STATES[wait]["Next"]
        (task,) = [n for n, s in callback_tasks().items() if {c["Next"] for c in s["Catch"]} == {probe}]
        state = STATES[task]
        until = state["Parameters"]["Payload"]["until"]
        seen_targets.add(until)
        assert STATES[probe]["Parameters"]["until"] == until, task
        assert state["Parameters"]["FunctionName"] == "${AwaitFunctionArn}"
        assert state["Parameters"]["Payload"]["token.$"] == "$$.Task.Token"
        assert state["HeartbeatSecondsPath"] == f"$.waits.heartbeats.{heartbeat_key(until)}", task
        assert state["TimeoutSeconds"] > max(DEFAULT_HEARTBEATS.values()), task
        assert state["Next"] == STATES[probe]["Next"], task  # the answer is read by the loop's own Choice
        assert state["ResultPath"] == STATES[probe]["ResultPath"] == "$.loop"
        timeouts, everything = state["Catch"]
        assert set(timeouts["ErrorEquals"]) == set(CALLBACK_TIMEOUTS) and everything["ErrorEquals"] == ["States.ALL"]
        assert timeouts["ResultPath"] == everything["ResultPath"] == "$.loop"
        # Into the loop only from its callback task and its own Wait state.
        assert {n for n, s in STATES.items() if probe in successors(s)} == {task, wait}, probe
        # Every way into the wait goes through the callback task.
        assert {n for n, s in STATES.items() if task in successors(s)}, task
    assert seen_targets <= set(TARGETS) and seen_targets >= {"stable", "stopped", "gone", "in-service"}


def test_the_task_token_goes_to_the_wait_step_only():
    text = json.dumps(DEFINITION)
    assert text.count("$$.Task.Token") == len(callback_tasks())
    for state in callback_tasks().values():
        assert list(state["Parameters"]) == ["FunctionName", "Payload"]  # nothing else of the task gets the token


def test_state_names_are_short_sentences():
    for name in STATES:
        assert name[0].isupper() and len(name) <= 80, name


def test_the_workflow_guide_shows_every_state():
    guide = (ROOT / "docs" / "workflow.md").read_text()
    diagram = guide.split("```mermaid", 1)[1].split("```", 1)[0]
    missing = [n for n in STATES if not n.startswith("Note that '") and f'"{n}"' not in diagram]
    assert missing == [], f"docs/workflow.md's diagram is out of date: {missing}"

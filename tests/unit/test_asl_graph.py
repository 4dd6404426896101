"""The ASL file itself: every step it calls exists, every Task is guarded, Delete is only reachable through the
snapshot and the preflight, every end passes through the lease's release and a closing alert."""

from __future__ import annotations

import importlib
import json
import re

import pytest

from notebook_guard.domain import errors
from notebook_guard.domain.waits import CALLBACK_TIMEOUTS, DEFAULT_HEARTBEATS, TARGETS, heartbeat_key
from notebook_guard.handlers.steps import notify
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
    """The step placeholder a Task invokes: as its Resource, or as the FunctionName of a lambda:invoke
    integration (the approval's ``.waitForTaskToken`` task)."""
    return state.get("Resource") if state.get("Resource") in STEP_OF else (state.get("Parameters") or {}).get(
        "FunctionName"
    )


def states_calling(key: str) -> list[str]:
    return [n for n, s in STATES.items() if function_of(s) == "${" + f"{key}FunctionArn" + "}"]


PROBE = "${ProbeFunctionArn}"


AWAIT = "${AwaitFunctionArn}"


def callback_tasks() -> dict[str, dict]:
    """The waits' callback tasks (the approval's is a callback task too, but waits for a person)."""
    return {n: s for n, s in STATES.items() if s.get("Resource") == CALLBACK_RESOURCE and function_of(s) == AWAIT}


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
    # polling loop of the same wait, on the same path: see the callback test below). (A person's refusal, or no
    # decision, caught at the approval may lead to a quarantine, whose stop shares states with the remediation: that
    # it never reaches the Delete is proved path by path in test_delete_is_unreachable_without_an_approval...)
    for name, state in failure_catchers():
        for catch in state.get("Catch", []):
            if name == APPROVAL_TASK and "States.ALL" not in catch["ErrorEquals"]:
                continue
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
            if catch["Next"] == "What happens without approval?":
                # Not a failure path: a rejected or timed-out approval falls back to notify or quarantine, which
                # shares the stop states with the remediation; the walk that follows the action along each path
                # (test_delete_is_unreachable_without_an_approval_when_the_approval_applies) shows that no Delete,
                # hence no Discard, follows it.
                continue
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
    assert len(waits) == 17  # 6 notebook waits of the recreate and root-access paths, 11 of data preservation
    assert all(s.get("SecondsPath") == "$.loop.next_wait" for s in waits)


@pytest.mark.parametrize("name", [n for n, s in STATES.items() if s["Type"] == "Wait"])
def test_every_wait_loop_has_a_bound_that_ends_in_the_stuck_alert(name):
    """A notebook wait goes to the stuck alert; a marker wait (the backup's, the restore's) notes that it timed out,
    which Notify reports as stuck (after the backup's abort path has put the original back)."""
    probe = STATES[name]["Next"]
    choice = STATES[STATES[probe]["Next"]]
    (stuck,) = [c["Next"] for c in choice["Choices"] if c.get("Variable") == "$.loop.stuck"]
    if stuck != "Alert that the notebook is stuck":
        assert STATES[stuck]["Type"] == "Pass" and STATES[stuck]["Parameters"]["Error"] in notify.TIMED_OUT, name
        assert set(states_calling("Notify")) & reachable(stuck), name


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


def test_the_task_token_goes_to_the_wait_step_and_the_approval_step_only():
    text = json.dumps(DEFINITION)
    assert text.count("$$.Task.Token") == len(callback_tasks()) + 1  # and the approval's
    assert STATES[APPROVAL_TASK]["Parameters"]["Payload"]["token.$"] == "$$.Task.Token"
    for state in callback_tasks().values():
        assert list(state["Parameters"]) == ["FunctionName", "Payload"]  # nothing else of the task gets the token


def test_state_names_are_short_sentences():
    for name in STATES:
        assert name[0].isupper() and len(name) <= 80, name


def test_the_workflow_guide_shows_the_state_machine_as_it_is():
    """docs/workflow.md's diagram is generated from the ASL file (python -m notebook_guard_local.asl_diagram)."""
    from notebook_guard_local import asl_diagram

    guide = (ROOT / "docs" / "workflow.md").read_text()
    assert asl_diagram.block_of(guide) == asl_diagram.generated(), "run: python -m notebook_guard_local.asl_diagram"
    missing = [n for n in STATES if not n.startswith("Note that '") and f'"{n}"' not in asl_diagram.generated()]
    assert missing == []


def test_the_diagram_labels_say_what_each_choice_tests():
    from notebook_guard_local.asl_diagram import label

    assert label({"Variable": "$.loop.stuck", "BooleanEquals": True, "Next": "x"}) == "loop.stuck=true"
    rule = {"And": [{"Variable": "$.action", "StringEquals": "remediate"}, {"Variable": "$.x", "IsPresent": False}]}
    assert label(rule) == "action=remediate & no x"
    assert label({"Not": {"Variable": "$.n", "NumericGreaterThan": 2}}) == "not (n>2)"


# The approval gate ---------------------------------------------------------------------------------------------
APPROVAL_TASK = "Ask a person to approve"
APPROVAL_GATE = "Does a person have to approve?"


def _leaf(rule: dict, facts: dict) -> bool | None:
    """A Choice rule's verdict on the facts known along a path (None: depends on what is not known)."""
    variable = rule["Variable"]
    if "IsNull" in rule:
        if variable not in facts:
            return None
        return (facts[variable] is None) == rule["IsNull"]
    if "IsPresent" in rule:
        if variable not in facts:
            return None
        return (facts[variable] is not None) == rule["IsPresent"]
    if facts.get(variable) is None:
        return None
    for operator in ("BooleanEquals", "StringEquals"):
        if operator in rule:
            return facts[variable] == rule[operator]
    return None


def _verdict(rule: dict, facts: dict) -> bool | None:
    if "And" in rule:
        verdicts = [_verdict(r, facts) for r in rule["And"]]
        return False if False in verdicts else (True if all(verdicts) else None)
    if "Or" in rule:
        verdicts = [_verdict(r, facts) for r in rule["Or"]]
        return True if True in verdicts else (False if all(v is False for v in verdicts) else None)
    if "Not" in rule:
        verdict = _verdict(rule["Not"], facts)
        return None if verdict is None else not verdict
    return _leaf(rule, facts)


def deletes_reached(approval_required: bool) -> set[tuple[str, str]]:
    """Walk the machine tracking what a path knows (the action, whether approval is required, the decision so far)
    and return the (action, decision) of every path that reaches Delete."""
    (delete,) = states_calling("Delete")
    start = (DEFINITION["StartAt"], "remediate", "none")
    seen, todo, reached = set(), [start], set()
    while todo:
        node, action, decision = todo.pop()
        if (node, action, decision) in seen:
            continue
        seen.add((node, action, decision))
        state = STATES[node]
        if node == delete:
            reached.add((action, decision))
        facts = {
            "$.approval.required": approval_required,
            "$.action": action,
            "$.approval.decision": None if decision == "none" else decision,
            # SendTaskSuccess carries the decision: approved, or (someone's mistake) an answer without approved=true.
            "$.approval.decision.approved": {"approved": True, "answered": False}.get(decision),
        }
        nexts: list[tuple[str, str, str]] = []
        if state["Type"] == "Choice":
            for rule in state["Choices"]:
                verdict = _verdict(rule, facts)
                if verdict is not False:
                    nexts.append((rule["Next"], action, decision))
                if verdict is True:
                    break
            else:
                nexts.append((state["Default"], action, decision))
        elif node == APPROVAL_TASK:
            nexts.append((state["Next"], action, "approved"))
            nexts.append((state["Next"], action, "answered"))
            for catch in state["Catch"]:
                refused = "States.ALL" not in catch["ErrorEquals"]
                nexts.append((catch["Next"], action, "refused" if refused else decision))
        elif state["Type"] == "Pass" and state.get("ResultPath") == "$.action":
            nexts.append((state["Next"], state["Result"], decision))
        else:
            nexts += [(n, action, decision) for n in successors(state)]
        todo += nexts
    return reached


def test_delete_is_unreachable_without_an_approval_when_the_approval_applies():
    # Refused, timed out, or answered without approved=true: never the Delete.
    assert deletes_reached(approval_required=True) == {("remediate", "approved")}
    # The gate does not stand in the way when the deployment needs no approval.
    assert deletes_reached(approval_required=False) == {("remediate", "none")}


def test_the_approval_gate_comes_after_the_snapshot_and_the_preflight_and_before_stop_and_delete():
    (gate,) = [n for n in STATES if n == APPROVAL_GATE]
    for key in ("Snapshot", "Preflight"):
        (state,) = states_calling(key)
        assert gate not in reachable(DEFINITION["StartAt"], removed={state}), key
    for key in ("Stop", "Delete", "Create"):
        for state in states_calling(key):
            assert state not in reachable(DEFINITION["StartAt"], removed={gate}), key


def test_the_approval_waits_for_a_callback_at_most_the_approval_timeout_and_falls_back_without_one():
    (task,) = states_calling("Approval")
    state = STATES[task]
    assert state["Resource"] == "arn:aws:states:::lambda:invoke.waitForTaskToken"
    assert state["Parameters"]["Payload"]["token.$"] == "$$.Task.Token"
    assert state["TimeoutSecondsPath"] == "$.approval.timeout_seconds"
    caught = {e: c["Next"] for c in state["Catch"] for e in c["ErrorEquals"]}
    fallback = caught["ApprovalRejected"]
    assert caught["States.Timeout"] == fallback and STATES[fallback]["Type"] == "Choice"
    # Rejected or timed out: quarantine (the stop only) or notify; the delete is reached by neither.
    (delete,) = states_calling("Delete")
    quarantine = {c["Next"] for c in STATES[fallback]["Choices"]}
    assert {STATES[q].get("Result") for q in quarantine} == {"quarantine"}
    assert STATES[fallback]["Default"] == "Alert about the violation"
    assert delete not in reachable(STATES[fallback]["Default"])


# --- Data preservation: no Delete without a verified configuration snapshot AND a verified backup of the volume -----
VERIFIED = "Keep the verified backup"  # entered only from the backup check's done branch
ABORT = "Stop the notebook after the failed backup"


def test_with_preservation_delete_is_reachable_only_through_the_verified_backup():
    (delete,) = states_calling("Delete")
    (prepare,) = [n for n, s in STATES.items() if (s.get("Parameters") or {}).get("op") == "prepare"]
    after_stop = STATES["What comes after stopping?"]["Choices"]
    (preserving,) = [c for c in after_stop if c["Next"] == prepare]
    assert {"Variable": "$.preservation.wanted", "BooleanEquals": True} in preserving["And"]
    # It comes before the plain recreate (no preservation: the Delete step itself refuses if it applied after all).
    assert after_stop.index(preserving) < [c["Next"] for c in after_stop].index(delete)
    assert delete in reachable(prepare)
    assert delete not in reachable(prepare, removed={VERIFIED})
    (check,) = [n for n, s in STATES.items() if (s.get("Parameters") or {}).get("op") == "check"]
    assert {n for n, s in STATES.items() if VERIFIED in successors(s)} == {"Is the backup complete?"}
    assert {"Variable": "$.loop.done", "BooleanEquals": True, "Next": VERIFIED} in STATES["Is the backup complete?"][
        "Choices"
    ]
    assert STATES["Is the backup complete?"]["Default"] == "Wait for the backup"
    assert STATES["Wait for the backup"]["Next"] == check
    # The verified backup is put back to the notebook's own lifecycle configuration before the delete.
    assert delete not in reachable(VERIFIED, removed={"Put back the original lifecycle configuration"})


def test_a_failed_backup_never_deletes_and_puts_the_original_back():
    (delete,) = states_calling("Delete")
    (create,) = states_calling("Create")
    for state in (delete, create):
        assert state not in reachable(ABORT), state
    # Every state of the backup phase (after the stop, before the delete) fails into the abort path, which stops
    # the notebook, puts its own lifecycle configuration back, removes the access and alerts.
    phase = reachable("Attach the backup configuration") - reachable(delete) - reachable(ABORT)
    awaits = callback_tasks()
    for name in phase:
        for catch in STATES[name].get("Catch", []):
            if name in awaits:  # a wait's callback task falls back to its own polling loop, which aborts on errors
                assert catch["Next"] in phase and STATES[catch["Next"]]["Type"] == "Task", name
                continue
            assert STATES[catch["Next"]]["Next"] == ABORT, name
    path = reachable(ABORT)
    assert "Put back its own configuration after the failed backup" in path
    assert "Remove the backup access after the failed backup" in path
    assert "Alert that the backup failed" in path


def test_the_restore_runs_only_on_the_replacement_and_its_access_is_removed_on_every_end():
    (create,) = states_calling("Create")
    (check,) = [n for n, s in STATES.items() if (s.get("Parameters") or {}).get("op") == "check-restore"]
    entering = {n for n, s in STATES.items() if check in successors(s)}
    assert entering == {"Is the new notebook in service?", "Wait for the restore"}
    assert check not in reachable(DEFINITION["StartAt"], removed={create})
    cleanup = {n for n, s in STATES.items() if (s.get("Parameters") or {}).get("op") == "cleanup"}
    verify = states_calling("Verify")[0]
    assert verify not in reachable("Keep the restored data", removed=cleanup)
    # A failure or a stuck end after the backup was prepared removes the access before the lease is released.
    for name in ("Alert that remediation failed", "Alert that the notebook is stuck"):
        assert STATES[name]["Next"] == "Was the backup access granted?"


def test_the_demo_folds_only_states_that_exist():
    from notebook_guard_local.demo.timeline import PHASES

    assert [step for _title, steps in PHASES for step in steps if step not in STATES] == []


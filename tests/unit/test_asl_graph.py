"""The ASL file itself: every step it calls exists, every Task is guarded, and Delete is only reachable
through the snapshot and the preflight."""

from __future__ import annotations

import importlib
import json
import re

import pytest

from notebook_guard.domain import errors
from notebook_guard.workflow_steps import ASL_PATH, EXTRA_SUBSTITUTIONS, STEPS, substitution_key
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


def states_calling(key: str) -> list[str]:
    return [n for n, s in STATES.items() if s.get("Resource") == "${" + f"{key}FunctionArn" + "}"]


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
    # Nor can a failure path lead to it: no Catch reaches the Delete state.
    for name, state in STATES.items():
        for catch in state.get("Catch", []):
            assert delete not in reachable(catch["Next"]), name


def test_every_task_retries_transient_errors_and_catches_everything():
    for name, state in STATES.items():
        if state["Type"] != "Task":
            continue
        retried = {e for r in state.get("Retry", []) for e in r["ErrorEquals"]}
        assert {"Lambda.ServiceException", "Lambda.TooManyRequestsException", "TransientAwsError"} <= retried, name
        assert any("States.ALL" in c["ErrorEquals"] for c in state.get("Catch", [])), name


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


def test_state_names_are_short_sentences():
    for name in STATES:
        assert name[0].isupper() and len(name) <= 80, name

"""Waits driven by SageMaker's events, on the real ASL, with every way events and answers go wrong.

Each failure mode ends in a remediated notebook (or, where the notebook never gets there, an alert), never in a
hung execution: every run is bounded in real time (``harness.run(..., timeout=TIMEOUT)`` raises if the execution
still runs). The simulated EventBridge (``fake.events``) drops, duplicates, delays and reorders the events, or makes
the resume function crash; the callback tasks answer and refuse tokens as AWS does (``fake.callbacks``).
"""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from notebook_guard.aws import clients
from notebook_guard.services import callbacks as callback_service
from notebook_guard_local.fake.callbacks import CLOSED_MESSAGE
from notebook_guard_local.workflow_harness import REGION, ZERO_WAITS

TIMEOUT = 30.0


def remediate(harness, name: str, status: str = "InService", **run):
    harness.create_notebook(name, status)
    return harness.runner.wait(harness.runner.start(payload(harness, name, **run)), timeout=TIMEOUT)


def payload(harness, name: str, waits: dict | None = None) -> dict:
    notebook = harness.backend.notebook_instances[name]
    return {
        "notebook_name": name,
        "notebook_arn": notebook.arn,
        "trigger": "create",
        "action": "remediate",
        "source": {},
        "waits": waits or ZERO_WAITS,
    }


def assert_remediated(harness, name: str, execution) -> None:
    assert execution.status == "SUCCEEDED", (execution.error, execution.cause, execution.states_entered)
    notebook = harness.backend.notebook_instances[name]
    assert notebook.subnet_id == harness.world.private_subnet_id and notebook.status == "InService"
    assert [a["kind"] for a in harness.alerts() if a["notebook"]["name"] == name][-1] == "remediated"


def waits_left(harness) -> list[dict]:
    from notebook_guard.aws import dynamodb

    return list(dynamodb.scan_by_sort_key(harness.world.coordination_table, "sk", "wait", REGION))


def test_with_events_each_wait_is_answered_once_by_itself_or_by_the_event(harness):
    execution = remediate(harness, "heard")
    assert_remediated(harness, "heard", execution)
    # InService at the start: the first wait answered itself at registration; the others by the notebook's events.
    assert [a["resumed_by"] for a in execution.answers] == ["registration", "event", "event", "event"]
    assert not any(name.startswith("Check whether") for name in execution.states_entered)
    assert harness.events.outcomes["completed"] == 3 and waits_left(harness) == []


def test_duplicate_events_are_answered_once(harness):
    harness.events.restart(duplicate=1.0)
    execution = remediate(harness, "twice")
    assert_remediated(harness, "twice", execution)
    assert harness.events.counts["duplicated"] == harness.events.counts["emitted"]
    # The second copy finds the wait answered (its record gone) or, racing it, the token closed.
    assert harness.events.outcomes["completed"] == 3
    assert harness.events.outcomes["no-wait"] + harness.events.outcomes["already-closed"] >= 3


def test_reordered_events_are_read_as_hints(harness):
    harness.events.restart(reorder_window_seconds=30)
    execution = remediate(harness, "shuffled")
    assert_remediated(harness, "shuffled", execution)
    assert harness.events.counts["reordered"] >= 2


def test_late_events_of_earlier_states_cost_a_describe_and_nothing_else(harness):
    # Every event arrives 200 s late: the waits end when the late ones (or the reconciler) come, and events of a
    # state long gone (Stopping, the original's Deleting while the replacement is created) change nothing.
    harness.events.restart(delay_seconds=200)
    execution = remediate(harness, "late")
    assert_remediated(harness, "late", execution)
    harness.fake.clock.advance(600)  # the events still on their way arrive after the end
    assert harness.events.outcomes["no-wait"] >= 1 and waits_left(harness) == []


def test_a_tenth_of_the_events_lost(harness):
    harness.events.restart(drop=0.1, seed=3)
    execution = remediate(harness, "lossy")
    assert_remediated(harness, "lossy", execution)


def test_every_event_lost_the_reconciler_ends_the_waits(harness):
    harness.events.restart(drop=1.0)
    execution = remediate(harness, "unheard", status="Pending")
    assert_remediated(harness, "unheard", execution)
    assert harness.events.counts["put"] == 0
    assert "reconciler" in {a["resumed_by"] for a in execution.answers}


def test_every_event_lost_and_no_reconciler_each_wait_polls_after_its_heartbeat(harness):
    harness.events.restart(drop=1.0, reconciler=False)
    execution = remediate(harness, "deaf")
    assert_remediated(harness, "deaf", execution)
    polled = [name for name in execution.states_entered if name.startswith("Check whether")]
    assert len(polled) == 3  # stopped, gone, in service; the stable wait answered itself at registration
    assert [a["resumed_by"] for a in execution.answers] == ["registration"]


def test_a_resume_function_that_always_crashes_leaves_the_waits_to_polling(harness):
    harness.events.restart(crash=1.0)
    execution = remediate(harness, "crashy")
    assert_remediated(harness, "crashy", execution)
    assert harness.events.counts["crashed"] >= 3 and harness.events.outcomes == {}


def test_a_resume_function_that_crashes_now_and_then_is_retried(harness):
    harness.events.restart(crash=0.5, seed=7)
    execution = remediate(harness, "flaky")
    assert_remediated(harness, "flaky", execution)
    assert harness.events.counts["crashed"] >= 1 and harness.events.outcomes["completed"] >= 1


def test_an_answer_after_the_heartbeat_finds_the_token_closed_and_forgets_the_record(harness):
    # Heartbeats of 30 s and events 120 s late: every wait falls back to polling; the late events then answer closed
    # tokens (AWS's TaskTimedOut), which the resume function takes as done, deleting the records.
    harness.events.restart(delay_seconds=120, reconciler=False)
    waits = {**ZERO_WAITS, "heartbeats": {k: 30 for k in ("stable", "stopped", "gone", "in_service")}}
    harness.create_notebook("tardy", "Pending")
    execution = harness.runner.wait(harness.runner.start(payload(harness, "tardy", waits=waits)), timeout=TIMEOUT)
    assert_remediated(harness, "tardy", execution)
    assert waits_left(harness)  # records of the waits that timed out
    harness.fake.clock.advance(600)
    assert harness.events.outcomes["already-closed"] >= 1 and harness.callbacks.answered_late >= 1
    assert waits_left(harness) == []


def test_a_transition_that_never_ends_ends_in_the_stuck_alert(harness):
    harness.create_notebook("frozen", "InService")
    harness.fake.stick("frozen", "Stopping")
    execution = harness.runner.wait(harness.runner.start(payload(harness, "frozen")), timeout=TIMEOUT)
    assert execution.status == "FAILED" and execution.error == "NotebookStuck"
    alert = [a for a in harness.alerts() if a["notebook"]["name"] == "frozen"][-1]
    assert alert["kind"] == "stuck" and alert["details"]["wait"]["until"] == "stopped"
    # It listened for the stop's heartbeat, then polled up to the bound.
    assert alert["details"]["wait"]["waited"] >= 180


def test_events_of_another_incarnation_do_not_end_a_wait(harness):
    """While the workflow waits for the stop, the owner deletes the notebook and makes another of the same name,
    Stopped: its events and Describe show a Stopped notebook of another incarnation, which does not end the wait.
    The polling fallback then reaches Delete, which refuses another incarnation: nothing of the stranger's is
    touched, and the failure is alerted."""
    harness.create_notebook("twin", "InService")
    harness.fake.stick("twin", "Stopping")

    def replace_before_the_stop_wait(event):
        if event.get("until") != "stopped":
            return
        backend = harness.backend
        del backend.notebook_instances["twin"]
        harness.create_notebook("twin", "Stopped")

    harness.seam.before("Await", replace_before_the_stop_wait, once=False)
    execution = harness.runner.wait(harness.runner.start(payload(harness, "twin")), timeout=TIMEOUT)
    stop_wait = [a for a in execution.answers if a["until"] == "stopped"]
    assert stop_wait == []  # not answered: the notebook Stopped was another one
    assert harness.events.outcomes["other-incarnation"] >= 1
    assert ("twin", "Deleting") not in harness.fake.history
    assert execution.status == "FAILED"
    assert [a["kind"] for a in harness.alerts() if a["notebook"]["name"] == "twin"][-1] == "failed"


def test_a_wait_that_cannot_register_falls_back_to_polling_at_once(harness, monkeypatch):
    def denied(self, record):
        raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "denied"}}, "UpdateItem")

    monkeypatch.setattr(callback_service.Waits, "register", denied)
    execution = remediate(harness, "unregistered")
    assert_remediated(harness, "unregistered", execution)
    polled = {n for n in execution.states_entered if n.startswith("Check whether")}
    assert execution.answers == [] and len(polled) == 4  # every wait, by polling


def test_the_simulated_step_functions_refuses_closed_and_unknown_tokens_as_aws_does(harness):
    execution = remediate(harness, "tokens")
    assert_remediated(harness, "tokens", execution)
    sfn = clients.client("stepfunctions", REGION)
    token = next(iter(harness.callbacks.closed))
    for call, extra in (("send_task_success", {"output": "{}"}), ("send_task_heartbeat", {})):
        with pytest.raises(ClientError) as closed:
            getattr(sfn, call)(taskToken=token, **extra)
        assert closed.value.response["Error"]["Code"] == "TaskTimedOut"
        assert closed.value.response["Error"]["Message"] == CLOSED_MESSAGE
    with pytest.raises(ClientError) as unknown:
        sfn.send_task_success(taskToken="not-a-token-of-any-task", output="{}")
    assert unknown.value.response["Error"]["Code"] == "InvalidToken"


def test_task_tokens_are_never_logged_recorded_or_alerted(harness, capsys):
    execution = remediate(harness, "secretive")
    assert_remediated(harness, "secretive", execution)
    tokens = set(harness.callbacks.closed)
    assert tokens
    captured = capsys.readouterr()
    seen = {
        "logs": captured.out + captured.err,
        "audit": json.dumps(harness.audit("secretive")),
        "alerts": json.dumps(harness.alerts()),
        "execution output": json.dumps(execution.output),
    }
    for where, text in seen.items():
        assert not [t for t in tokens if t in text], where

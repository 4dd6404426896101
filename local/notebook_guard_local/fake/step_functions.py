"""Callback tasks (``.waitForTaskToken``) in moto's Step Functions, made to behave as AWS documents, on the clock.

What moto 5.2.5 does differently, and what ``CallbackTasks`` changes (checked by tests/workflow/test_callbacks.py):

- **A task answered before it starts waiting.** The task token exists from the moment the task starts, and the
  invoked function may answer it before it returns (our wait step does, when the notebook is already there).
  moto creates the heartbeat timer only after the invocation and waits on it alone, so such an answer is lost
  and the task times out. Here the answer is looked at first.
- **Time.** moto waits for a heartbeat in real seconds. Here the wait runs on the simulation's ``VirtualClock``:
  while the task waits, the clock moves to the next thing due (a notebook transition, an event's delivery, the
  reconciler), runs it, and looks again; with nothing due before the heartbeat, the task times out at once.
- **Closed tokens.** AWS answers SendTaskSuccess/Failure/Heartbeat for a task that is no longer waiting (timed
  out, already answered, its execution ended) with ``TaskTimedOut`` ("Task Timed Out: 'Provided task does not
  exist anymore'", seen in AWS's answers, e.g. github.com/andybalham/blog-task-tokens-part-2); the API reference:
  "The task token has either expired or the task associated with the token has already been closed". moto
  accepts a late answer silently while the execution runs, and says ``InvalidToken`` once it has ended. Here
  both are ``TaskTimedOut``; a token no task ever had stays ``InvalidToken``.
- **SendTaskFailure's cause.** moto's response handler drops ``cause``; here it is passed on.

Not changed: a heartbeat timeout is reported as ``States.Timeout`` (AWS also matches it with
``States.HeartbeatTimeout`` in Catch and Retry, aws-cdk#16084), which the state machine catches alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from unittest import mock

from moto.stepfunctions.parser.api import TaskTimedOut
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_callback import (
    StateTaskServiceCallback,
)
from moto.stepfunctions.parser.asl.eval.callback.callback import HeartbeatTimedOut
from moto.stepfunctions.parser.models import StepFunctionsParserBackend
from moto.stepfunctions.responses import StepFunctionResponse

from notebook_guard_local.fake.clock import VirtualClock

CLOSED_MESSAGE = "Task Timed Out: 'Provided task does not exist anymore'"


@dataclass
class CallbackTasks:
    """``with CallbackTasks(clock) as tasks:`` inside ``mock_aws`` (or with a moto server in this process)."""

    clock: VirtualClock
    closed: set[str] = field(default_factory=set)  # tokens of tasks that no longer wait
    answered_late: int = 0  # answers refused because the task was closed (for tests and the bench)

    def __post_init__(self) -> None:
        self._patches: list = []

    # The wait --------------------------------------------------------------------------------------------------
    def wait(self, env, endpoint, seconds: float, heartbeat=None, running=lambda: True):
        """Wait for ``endpoint``'s answer for ``seconds`` of virtual time (reset by each heartbeat)."""
        clock = self.clock
        deadline = clock.now + seconds
        while running():
            outcome = endpoint.get_outcome()
            if outcome is not None:
                return outcome
            if heartbeat is not None and heartbeat._next_heartbeat_event.is_set():
                heartbeat._next_heartbeat_event.clear()
                deadline = clock.now + seconds
            if clock.settle():
                continue
            due = clock.next_due()
            if due is not None and due <= deadline:
                clock.advance_to(due)
                continue
            clock.advance_to(deadline)
            return endpoint.get_outcome()  # None: timed out
        return None

    # Installation -----------------------------------------------------------------------------------------------
    def _methods(self) -> dict:
        tasks = self
        original_pattern = StateTaskServiceCallback._eval_integration_pattern

        def wait_for_task_token_heartbeat(self, env, callback_endpoint, heartbeat_endpoint):
            outcome = tasks.wait(
                env, callback_endpoint, heartbeat_endpoint._heartbeat_seconds, heartbeat_endpoint, env.is_running
            )
            return outcome if outcome is not None or not env.is_running() else HeartbeatTimedOut()

        def wait_for_task_token_timeout(self, timeout_seconds, callback_endpoint):
            return tasks.wait(None, callback_endpoint, timeout_seconds)

        def eval_integration_pattern(self, env, resource_runtime_part, normalised_parameters, state_credentials):
            token = ((env.states.context_object.context_object_data or {}).get("Task") or {}).get("Token")
            try:
                return original_pattern(self, env, resource_runtime_part, normalised_parameters, state_credentials)
            finally:
                if token:
                    tasks.closed.add(token)

        def refusing_closed(name):
            original = getattr(StepFunctionsParserBackend, name)

            def method(backend, task_token, *args, **kwargs):
                if task_token in tasks.closed:
                    tasks.answered_late += 1
                    raise TaskTimedOut(CLOSED_MESSAGE, exception_type="TaskTimedOut")
                return original(backend, task_token, *args, **kwargs)

            return method

        def send_task_failure(response):
            from moto.core.responses import EmptyResult

            token, error, cause = (response._get_param(k) for k in ("taskToken", "error", "cause"))
            response.stepfunction_backend.send_task_failure(token, error=error, cause=cause)
            return EmptyResult()

        return {
            (StateTaskServiceCallback, "_wait_for_task_token_heartbeat"): wait_for_task_token_heartbeat,
            (StateTaskServiceCallback, "_wait_for_task_token_timeout"): wait_for_task_token_timeout,
            (StateTaskServiceCallback, "_eval_integration_pattern"): eval_integration_pattern,
            (StepFunctionsParserBackend, "send_task_success"): refusing_closed("send_task_success"),
            (StepFunctionsParserBackend, "send_task_failure"): refusing_closed("send_task_failure"),
            (StepFunctionsParserBackend, "send_task_heartbeat"): refusing_closed("send_task_heartbeat"),
            (StepFunctionResponse, "send_task_failure"): send_task_failure,
        }

    def __enter__(self) -> CallbackTasks:
        for (owner, name), method in self._methods().items():
            patcher = mock.patch.object(owner, name, method)
            patcher.start()
            self._patches.append(patcher)
        return self

    def __exit__(self, *exc) -> None:
        for patcher in reversed(self._patches):
            patcher.stop()
        self._patches.clear()

"""Step Functions callback tasks (``.waitForTaskToken``) as AWS runs them, where moto 5.2.5 differs.

- **Time.** A token's wait is measured on the simulation's ``VirtualClock``, not in real seconds. Two kinds:
  - a task with ``HeartbeatSeconds`` (the workflow's notebook waits, answered by the simulation itself: a notebook
    transition, a state-change event's delivery, the reconciler, all timers on the clock) *drives* the clock:
    while it waits, the clock moves to the next thing due, runs it, and looks again; with nothing due before the
    heartbeat, the task times out at once;
  - a task with only a timeout (the approval, answered by a person from outside the execution) waits in real time
    while someone else advances the clock: a 72-hour approval timeout passes when a test advances the clock.
  A timeout counts from the Task state's start (as in AWS), not from when moto begins waiting after the invocation.
- **A task answered before it starts waiting.** The token exists from the moment the task starts, and the invoked
  function may answer it before it returns (the Await step does, when the notebook is already there): the answer
  is looked at first, never lost.
- **Closed tokens.** SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat on a closed task (answered already,
  timed out, or its execution ended) answer ``TaskTimedOut``, "The task token has either expired or the task
  associated with the token has already been closed" (Step Functions API Reference, SendTaskSuccess); moto accepts
  them. A token Step Functions never issued answers ``InvalidToken``.
- SendTaskFailure's ``cause`` reaches the Catch as ``Cause`` (moto drops it).

Not changed: a heartbeat timeout is reported as ``States.Timeout`` (AWS also matches it with
``States.HeartbeatTimeout`` in Catch and Retry, aws-cdk#16084), which the state machine catches alike.

``execution_of(token)`` names the execution that issued a token (the IAM enforcement authorizes SendTask* against
that execution's state machine). Works in-process and with a moto server in this process.
"""

from __future__ import annotations

import threading
from unittest import mock

from moto.core.exceptions import ServiceException
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_callback import (
    StateTaskServiceCallback,
)
from moto.stepfunctions.parser.asl.eval.callback.callback import (
    CallbackEndpoint,
    CallbackPoolManager,
    HeartbeatEndpoint,
    HeartbeatTimedOut,
)
from moto.stepfunctions.parser.models import StepFunctionsParserBackend
from moto.stepfunctions.responses import StepFunctionResponse

from notebook_guard_local.fake.clock import VirtualClock

# What AWS documents TaskTimedOut to mean (API Reference); the exact message text AWS sends was not found.
CLOSED_MESSAGE = "The task token has either expired or the task associated with the token has already been closed."
SLICE = 0.005  # real seconds between two looks at the virtual clock while a token waits


class TaskTimedOut(ServiceException):
    code = "TaskTimedOut"
    message = CLOSED_MESSAGE


class InvalidToken(ServiceException):
    code = "InvalidToken"
    message = "Invalid Token: 'Invalid token'"

_active: FaithfulCallbacks | None = None


class FaithfulCallbacks:
    """``with FaithfulCallbacks(clock):`` inside ``mock_aws`` (or with a moto server in this process)."""

    def __init__(self, clock: VirtualClock | None = None) -> None:
        self.clock = clock or VirtualClock()
        self._lock = threading.Lock()
        self.closed: set[str] = set()  # tokens whose task has ended (answered, timed out, failed)
        # When each token's task started, on the virtual clock: its timeout counts from there (the Task state's
        # start, as in AWS), not from when the wait itself began after the invocation.
        self.started: dict[str, float] = {}
        self.answered_late = 0  # answers refused because the task was closed (for tests and the bench)
        self._patches: list = []

    def execution_of(self, token: str) -> str | None:
        """The ARN of the execution that issued ``token`` (None: no execution did)."""
        from moto.stepfunctions.parser.models import stepfunctions_parser_backends

        for regions in list(stepfunctions_parser_backends.values()):
            for backend in list(regions.values()):
                found = _find(backend, token)
                if found is not None:
                    return found[0].exec_arn
        return None

    # Patched moto methods ---------------------------------------------------------------------------------
    def _wait(self, endpoint: CallbackEndpoint, timeout: float | None = None):
        with self._lock:
            started = self.started.get(endpoint.callback_id, self.clock.now)
        while not endpoint._notify_event.wait(SLICE):
            if timeout is not None and self.clock.now - started >= timeout:
                break
        return endpoint._outcome

    def _drive(self, env, endpoint: CallbackEndpoint, heartbeat: HeartbeatEndpoint):
        """A heartbeat task's wait, driving the clock: its answer, or ``HeartbeatTimedOut``."""
        clock = self.clock
        deadline = clock.now + heartbeat._heartbeat_seconds
        while env.is_running():
            outcome = endpoint.get_outcome()
            if outcome is not None:
                return outcome
            if heartbeat._next_heartbeat_event.is_set():
                heartbeat._next_heartbeat_event.clear()
                deadline = clock.now + heartbeat._heartbeat_seconds
            if clock.settle():
                continue
            due = clock.next_due()
            if due is not None and due <= deadline:
                clock.advance_to(due)
                continue
            clock.advance_to(deadline)
            outcome = endpoint.get_outcome()
            return outcome if outcome is not None or not env.is_running() else HeartbeatTimedOut()
        return None

    def _pattern(self, original):
        fake = self

        def eval_integration_pattern(task, env, *args, **kwargs):
            token = (env.states.context_object.context_object_data.get("Task") or {}).get("Token")
            try:
                return original(task, env, *args, **kwargs)
            finally:
                if token:
                    with fake._lock:
                        fake.closed.add(token)

        return eval_integration_pattern

    def _guarded(self, original):
        fake = self

        def send(backend, task_token, *args, **kwargs):
            found = _find(backend, task_token)
            if found is None:
                raise InvalidToken()
            execution, endpoint = found
            with fake._lock:
                closed = task_token in fake.closed
            if closed or endpoint.get_outcome() is not None or execution.exec_status != "RUNNING":
                with fake._lock:
                    fake.answered_late += 1
                raise TaskTimedOut()
            return original(backend, task_token, *args, **kwargs)

        return send

    def __enter__(self) -> FaithfulCallbacks:
        global _active

        def send_task_failure(response):
            response.stepfunction_backend.send_task_failure(
                response._get_param("taskToken"), error=response._get_param("error"), cause=response._get_param("cause")
            )
            from moto.core.responses import EmptyResult

            return EmptyResult()

        original_add = CallbackPoolManager.add

        def add(pool, callback_id):
            with self._lock:
                self.started[callback_id] = self.clock.now
            return original_add(pool, callback_id)

        self._patches = [
            mock.patch.object(CallbackPoolManager, "add", add),
            mock.patch.object(CallbackEndpoint, "wait", lambda endpoint, timeout=None: self._wait(endpoint, timeout)),
            mock.patch.object(
                StateTaskServiceCallback,
                "_wait_for_task_token_heartbeat",
                lambda task, env, endpoint, heartbeat: self._drive(env, endpoint, heartbeat),
            ),
            mock.patch.object(
                StateTaskServiceCallback,
                "_eval_integration_pattern",
                self._pattern(StateTaskServiceCallback._eval_integration_pattern),
            ),
            mock.patch.object(StepFunctionResponse, "send_task_failure", send_task_failure),
        ]
        for name in ("send_task_success", "send_task_failure", "send_task_heartbeat"):
            original = getattr(StepFunctionsParserBackend, name)
            self._patches.append(mock.patch.object(StepFunctionsParserBackend, name, self._guarded(original)))
        for patcher in self._patches:
            patcher.start()
        _active = self
        return self

    def __exit__(self, *exc) -> None:
        global _active
        for patcher in reversed(self._patches):
            patcher.stop()
        self._patches.clear()
        _active = None


def active() -> FaithfulCallbacks | None:
    """The installed fake (the enforcement asks it which state machine a token belongs to)."""
    return _active


def _find(backend, token: str):
    """(execution, callback endpoint) of the execution that issued ``token``, or None."""
    for execution in list(backend._get_executions()):
        worker = getattr(execution, "exec_worker", None)
        endpoint = worker.env.callback_pool_manager.get(token) if worker is not None else None
        if endpoint is not None:
            return execution, endpoint
    return None

"""Run the real remediation state machine on moto, with the step Lambdas executed in-process.

- ``LambdaSeam``: moto's docker-less Lambda backend answers every invoke with a canned string; the seam routes
  an invoke of a step function to its Python handler (from ``workflow_steps.STEPS``) instead, and turns a raised
  exception into a Lambda function error whose ``errorType`` is the exception's class name, as AWS does. The
  handler runs as its step's role (``acting_as``), so an installed ``Enforcement`` checks its calls.
- ``WorkflowRunner``: creates each step's role with the policy the stack generates for it, the functions and
  the state machine from the ASL file (same substitutions as the stack), starts executions, waits for them and
  reads their history.
- ``zero_time``: Wait states and Retry intervals advance a virtual clock instead of sleeping, so tests and the
  demo run instantly while the clock still measures the simulated timeline.

Used by the workflow tests, the demo (moto server on loopback) and the bench.
"""

from __future__ import annotations

import importlib
import io
import json
import os
import time
import types
import uuid
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock

from botocore.config import Config
from moto.awslambda_simple.models import LambdaSimpleBackend
from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction
from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

from notebook_guard.aws import clients
from notebook_guard.settings import get_settings
from notebook_guard.workflow_steps import (
    CALLBACK_RESOURCE,
    EXTRA_SUBSTITUTIONS,
    STEPS,
    Step,
    substitution_key,
)
from notebook_guard_local.fake.clock import VirtualClock
from notebook_guard_local.fake.enforcement import DEFAULT_ACCOUNT, acting_as
from notebook_guard_local.resources import asl_path as packaged_asl_path
from notebook_guard_local.roles import deploy_workflow_roles, step_role_name, step_role_setting

FUNCTION_PREFIX = "notebook-guard-step-"
MOTO_CONFIG = {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}


def function_name(step: Step) -> str:
    return f"{FUNCTION_PREFIX}{step.key}"


@dataclass
class _Context:
    """The parts of a Lambda context Powertools reads."""

    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: int = 256
    aws_request_id: str = "local"
    function_version: str = "$LATEST"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def lambda_context(function: str, arn: str) -> _Context:
    """A Lambda context for a handler run in this process (the resume function, the steps)."""
    return _Context(function, arn)


class LambdaSeam:
    """Route moto Lambda invokes of the step functions to the Python handlers in this process."""

    def __init__(self) -> None:
        self._by_name = {function_name(s): s for s in STEPS}
        self.invocations: list[str] = []
        self._patchers: list = []
        self._before: dict[str, list] = {}

    def before(self, key: str, action, once: bool = True) -> None:
        """Run ``action(event)`` just before the step ``key`` is invoked (what happens in the account meanwhile:
        an owner deleting or changing the notebook between two steps)."""
        self._before.setdefault(key, []).append((action, once))

    def clear_hooks(self) -> None:
        self._before.clear()

    def handler_of(self, step: Step):
        module, attribute = step.handler.rsplit(".", 1)
        return getattr(importlib.import_module(module), attribute)

    def invoke(self, backend, name: str, body) -> tuple[bytes, bool]:
        short = name.split(":function:")[-1].split(":")[0]
        step = self._by_name.get(short)
        if step is None:
            return json.dumps({"errorType": "ResourceNotFoundException", "errorMessage": short}).encode(), True
        self.invocations.append(step.key)
        event = json.loads(body) if body else {}
        hooks = self._before.get(step.key, [])
        for hook in list(hooks):
            action, once = hook
            if once:
                hooks.remove(hook)
            action(event)
        arn = f"arn:aws:lambda:{backend.region_name}:{backend.account_id}:function:{short}"
        try:
            with acting_as(step_role_name(step.key)):
                result = self.handler_of(step)(event, _Context(short, arn))
        except Exception as error:  # the Lambda runtime's behaviour: report the error type and message
            return json.dumps({"errorType": type(error).__name__, "errorMessage": str(error)}).encode(), True
        return json.dumps(result, default=str).encode(), False

    def __enter__(self) -> LambdaSeam:
        seam = self

        def invoke(backend, function_name, qualifier, body, headers, response_headers):
            payload, failed = seam.invoke(backend, function_name, body)
            if failed:
                response_headers["x-amz-function-error"] = "Unhandled"
            return payload

        # moto's interpreter builds a new boto3 Lambda client for every Task (~25 ms each); one per region does.
        cache: dict = {}
        original = lambda_eval_utils.boto_client_for

        def boto_client_for(region, service, state_credentials=None):
            key = (region, service)
            if key not in cache:
                cache[key] = original(region=region, service=service, state_credentials=state_credentials)
            return cache[key]

        self._patchers = [
            mock.patch.object(LambdaSimpleBackend, "invoke", invoke),
            mock.patch.object(lambda_eval_utils, "boto_client_for", boto_client_for),
        ]
        for patcher in self._patchers:
            patcher.start()
        return self

    def __exit__(self, *exc) -> None:
        for patcher in reversed(self._patchers):
            patcher.stop()


@contextmanager
def zero_time(clock: VirtualClock | None = None) -> Iterator[VirtualClock]:
    """Wait states and Retry intervals advance ``clock`` instead of sleeping."""
    clock = clock or VirtualClock()

    def wait_interval(self, env, wait_seconds):
        clock.advance(wait_seconds)

    fake_time = types.SimpleNamespace(sleep=clock.advance, time=time.time, monotonic=time.monotonic)
    with (
        mock.patch.object(WaitFunction, "_wait_interval", wait_interval),
        mock.patch.object(retrier_decl, "time", fake_time),
    ):
        yield clock


@contextmanager
def fast_client_retries(max_attempts: int = 3) -> Iterator[None]:
    """Our boto3 clients retry like in Lambda (standard retries) but without sleeping between attempts."""
    import botocore.endpoint

    fake_time = types.SimpleNamespace(sleep=lambda seconds: None, time=time.time, monotonic=time.monotonic)
    config = Config(retries={"mode": "standard", "max_attempts": max_attempts})
    services = dict.fromkeys(clients.SERVICE_CONFIGS, config)
    with (
        mock.patch.object(clients, "RETRY_CONFIG", config),
        mock.patch.object(clients, "SERVICE_CONFIGS", services),
        mock.patch.object(botocore.endpoint, "time", fake_time),
    ):
        clients.reset()
        yield
    clients.reset()


@contextmanager
def parse_definitions_once() -> Iterator[None]:
    """moto re-parses the ASL (ANTLR) for every execution, ~0.4 s for this state machine; parse each once.

    The parsed program keeps per-execution state in its Environment, not in the components, so executions
    can share it.
    """
    cache: dict[str, object] = {}
    original = ExecutionWorker._get_evaluation_entrypoint

    def entrypoint(worker):
        definition = worker._evaluation_details.state_machine_details.definition
        if definition not in cache:
            cache[definition] = original(worker)
        return cache[definition]

    with mock.patch.object(ExecutionWorker, "_get_evaluation_entrypoint", entrypoint):
        yield


_shared_loader = None


@contextmanager
def shared_service_models() -> Iterator[None]:
    """Every new botocore session reuses one loader, so service models are parsed once per process.

    ``clients.reset()`` (each test, each moto context) creates a new session; without this each one re-reads
    the large JSON service models (EC2's alone is megabytes), which dominates a workflow test's run time.
    """
    import botocore.loaders
    import botocore.session

    global _shared_loader

    def create_loader(search_path_string=None):
        global _shared_loader
        if _shared_loader is None:
            _shared_loader = botocore.loaders.create_loader(search_path_string)
        return _shared_loader

    with mock.patch.object(botocore.session, "create_loader", create_loader):
        yield


def render_definition(function_arns: dict[str, str], asl_path: Path | None = None, polling_only: bool = False) -> str:
    """The ASL text with the stack's substitutions applied (``${<key>FunctionArn}`` and EXTRA_SUBSTITUTIONS).

    ``polling_only``: the same machine without its callback waits (each wait goes straight to its polling loop), the
    workflow as it was before the waits listened for events: the bench's baseline.
    """
    text = (asl_path or packaged_asl_path()).read_text()
    values = {substitution_key(s): function_arns[s.key] for s in STEPS} | dict(EXTRA_SUBSTITUTIONS)
    for key, value in values.items():
        text = text.replace("${" + key + "}", value)
    if "${" in text:
        raise ValueError("unsubstituted ${...} left in the ASL file")
    return json.dumps(without_callbacks(json.loads(text))) if polling_only else text


def without_callbacks(definition: dict) -> dict:
    """``definition`` with every callback wait replaced by the polling loop it falls back to."""
    states = definition["States"]
    fallback = {
        name: state["Catch"][0]["Next"] for name, state in states.items() if state.get("Resource") == CALLBACK_RESOURCE
    }
    for name in fallback:
        del states[name]
    for state in states.values():
        for holder in (state, *state.get("Choices", []), *state.get("Catch", [])):
            for key in ("Next", "Default"):
                if holder.get(key) in fallback:
                    holder[key] = fallback[holder[key]]
    return definition


@dataclass
class Execution:
    arn: str
    status: str
    output: dict | None
    error: str | None
    cause: str | None
    events: list[dict] = field(default_factory=list)

    @property
    def states_entered(self) -> list[str]:
        return [e["stateEnteredEventDetails"]["name"] for e in self.events if e["type"].endswith("StateEntered")]

    @property
    def transitions(self) -> int:
        """State transitions as Step Functions bills them: one per state entered."""
        return len(self.states_entered)

    @property
    def answers(self) -> list[dict]:
        """The answer each callback wait got (its ``$.loop`` as it left the task: a Poll and ``resumed_by``), in
        order; a wait that fell back to polling has none."""
        answered = []
        for event in self.events:
            if event["type"] == "TaskStateExited" and event["stateExitedEventDetails"]["name"].startswith("Await "):
                loop = json.loads(event["stateExitedEventDetails"]["output"]).get("loop") or {}
                if "Error" not in loop:
                    answered.append(loop)
        return answered


class WorkflowRunner:
    """Deploy the state machine and its step functions into moto, run executions. Needs moto active."""

    def __init__(self, environment: dict[str, str] | None = None, region: str = "us-east-1") -> None:
        self.region = region
        self.environment = environment or {}
        self.state_machine_arn: str | None = None
        self.function_arns: dict[str, str] = {}
        self.role_arns: dict[str, str] = {}

    def apply_environment(self) -> None:
        """The step functions' environment (NG_* settings); in-process they share this process's."""
        os.environ.update(self.environment)
        get_settings.cache_clear()

    def deploy(self, name: str = "notebook-guard-remediation", polling_only: bool = False) -> str:
        # Each step's role, with the policy the stack generates; the Preflight simulates the acting steps' roles.
        # The machine's name is fixed before it exists (as the stack fixes it), so the Lease step's role can name
        # its executions.
        self.state_machine_arn = f"arn:aws:states:{self.region}:{DEFAULT_ACCOUNT}:stateMachine:{name}"
        self.role_arns = deploy_workflow_roles(self.environment, self.region, state_machine_arn=self.state_machine_arn)
        self.environment["NG_STEP_ROLE_ARNS"] = step_role_setting(self.role_arns)
        self.apply_environment()
        iam = clients.client("iam", self.region)
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "sts:AssumeRole",
                    "Principal": {"Service": ["lambda.amazonaws.com", "states.amazonaws.com"]},
                }
            ],
        }
        role_arn = iam.create_role(RoleName=f"{name}-role", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("placeholder.py", "# handlers run in-process through the LambdaSeam\n")
        lambda_client = clients.client("lambda", self.region)
        for step in STEPS:
            created = lambda_client.create_function(
                FunctionName=function_name(step),
                Runtime="python3.12",
                Role=self.role_arns[step.key],
                Handler=step.handler,
                Code={"ZipFile": buffer.getvalue()},
                Timeout=step.timeout_seconds,
                Environment={"Variables": self.environment},
            )
            self.function_arns[step.key] = created["FunctionArn"]
        definition = render_definition(self.function_arns, polling_only=polling_only)
        sfn = clients.client("stepfunctions", self.region)
        self.state_machine_arn = sfn.create_state_machine(
            name=name, definition=definition, roleArn=role_arn, type="STANDARD"
        )["stateMachineArn"]
        return self.state_machine_arn

    def start(self, payload: dict, name: str | None = None) -> str:
        sfn = clients.client("stepfunctions", self.region)
        name = name or f"run-{uuid.uuid4().hex[:16]}"
        return sfn.start_execution(stateMachineArn=self.state_machine_arn, input=json.dumps(payload), name=name)[
            "executionArn"
        ]

    def wait(self, execution_arn: str, timeout: float = 60.0) -> Execution:
        sfn = clients.client("stepfunctions", self.region)
        deadline = time.monotonic() + timeout
        while True:
            described = sfn.describe_execution(executionArn=execution_arn)
            if described["status"] != "RUNNING":
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"execution {execution_arn} still running after {timeout} s")
            time.sleep(0.02)  # each poll is an API call competing with the execution for the GIL
        events = []
        paginator = sfn.get_paginator("get_execution_history")
        for page in paginator.paginate(executionArn=execution_arn):
            events += page["events"]
        output = described.get("output")
        return Execution(
            arn=execution_arn,
            status=described["status"],
            output=json.loads(output) if output else None,
            error=described.get("error"),
            cause=described.get("cause"),
            events=events,
        )

    def run(self, payload: dict, name: str | None = None, timeout: float = 60.0) -> Execution:
        return self.wait(self.start(payload, name), timeout)

"""Starting remediation executions, asking whether one still runs, and answering a waiting task."""

from __future__ import annotations

import json

from botocore.exceptions import ClientError

from notebook_guard.aws.clients import client
from notebook_guard.aws.errors import error_code
from notebook_guard.domain.lease import MISSING
from notebook_guard.domain.naming import execution_arn


def start_execution(state_machine_arn: str, name: str, payload: dict, region: str | None = None) -> str:
    """Start ``name`` (unique per attempt) and return its ARN.

    boto3 retries a lost answer with the same name and input, which Step Functions answers with the running
    execution; ``ExecutionAlreadyExists`` can then only mean this very start took effect, so it is reported as
    started.
    """
    sfn = client("stepfunctions", region)
    try:
        return sfn.start_execution(stateMachineArn=state_machine_arn, name=name, input=json.dumps(payload))[
            "executionArn"
        ]
    except ClientError as error:
        if error_code(error) != "ExecutionAlreadyExists":
            raise
        return execution_arn(state_machine_arn, name)


def execution_status(arn: str, region: str | None = None) -> str:
    """RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED, PENDING_REDRIVE; ``MISSING`` when there is no such execution."""
    try:
        return client("stepfunctions", region).describe_execution(executionArn=arn)["status"]
    except ClientError as error:
        if error_code(error) == "ExecutionDoesNotExist":
            return MISSING
        raise


# How Step Functions answers a token whose task is no longer waiting: TaskTimedOut ("The task token has either
# expired or the task associated with the token has already been closed"; for a task that timed out AWS's message
# is "Task Timed Out: 'Provided task does not exist anymore'"), InvalidToken, TaskDoesNotExist.
_CLOSED_TOKEN = frozenset({"TaskTimedOut", "InvalidToken", "TaskDoesNotExist"})


def send_task_success(token: str, output: str, region: str | None = None) -> bool:
    """Complete the task waiting on ``token`` with ``output`` (JSON). False: the task was no longer waiting (it
    timed out, was completed by someone else, or its execution ended), which for a hint-driven wait means done.
    Throttling and other errors are raised (the caller's retries apply). The token never appears in what this
    raises: AWS's error messages do not carry it."""
    try:
        client("stepfunctions", region).send_task_success(taskToken=token, output=output)
    except ClientError as error:
        if error_code(error) in _CLOSED_TOKEN:
            return False
        raise
    return True

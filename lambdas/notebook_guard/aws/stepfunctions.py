"""Starting remediation executions, asking whether one still runs, and answering a waiting task."""

from __future__ import annotations

import json

from botocore.exceptions import ClientError
from botocore.waiter import WaiterModel, create_waiter_with_client

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


# SendTaskSuccess/SendTaskFailure on a task that is closed (decided, timed out, execution ended) answer
# TaskTimedOut ("The task token has either expired or the task associated with the token has already been closed");
# a token Step Functions never issued, InvalidToken (Step Functions API Reference). AWS's error messages do not
# carry the token, so what these raise never shows it.
CLOSED_TOKEN_ERRORS = ("TaskTimedOut", "InvalidToken", "TaskDoesNotExist")


def send_task_success(token: str, output: str, region: str | None = None) -> None:
    client("stepfunctions", region).send_task_success(taskToken=token, output=output)


def send_task_failure(token: str, error: str, cause: str, region: str | None = None) -> None:
    client("stepfunctions", region).send_task_failure(taskToken=token, error=error, cause=cause)


# Step Functions has no waiter in botocore's data; this one is built from botocore's own waiter model: it
# Describes every ``delay`` seconds until the execution leaves RUNNING (any end counts: the caller reads which).
ENDED_STATUSES = ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "PENDING_REDRIVE")


def _ended_model(delay: int, max_attempts: int) -> WaiterModel:
    return WaiterModel(
        {
            "version": 2,
            "waiters": {
                "ExecutionEnded": {
                    "operation": "DescribeExecution",
                    "delay": delay,
                    "maxAttempts": max_attempts,
                    "acceptors": [
                        {"matcher": "path", "argument": "status", "expected": status, "state": "success"}
                        for status in ENDED_STATUSES
                    ],
                }
            },
        }
    )


def wait_until_ended(arn: str, region: str | None = None, delay: int = 15, max_attempts: int = 480) -> dict:
    """Wait (botocore waiter, ``delay`` s apart, at most ``max_attempts`` Describes) until the execution has
    ended, and return its DescribeExecution. Raises botocore's ``WaiterError`` when it still runs after that."""
    sfn = client("stepfunctions", region)
    create_waiter_with_client("ExecutionEnded", _ended_model(delay, max_attempts), sfn).wait(executionArn=arn)
    return sfn.describe_execution(executionArn=arn)

"""Starting remediation executions, one per notebook instance and action."""

from __future__ import annotations

import json
from dataclasses import dataclass

from botocore.exceptions import ClientError

from notebook_guard.aws.clients import client
from notebook_guard.aws.errors import error_code


@dataclass(frozen=True)
class StartResult:
    execution_arn: str
    started: bool  # False: an execution of that name already exists (a duplicate trigger)


def start_execution(state_machine_arn: str, name: str, payload: dict, region: str | None = None) -> StartResult:
    sfn = client("stepfunctions", region)
    try:
        response = sfn.start_execution(stateMachineArn=state_machine_arn, name=name, input=json.dumps(payload))
    except ClientError as error:
        if error_code(error) != "ExecutionAlreadyExists":
            raise
        # Same name and different input is what Step Functions reports for a duplicate trigger;
        # the execution ARN follows from the state machine ARN and the name.
        execution_arn = state_machine_arn.replace(":stateMachine:", ":execution:") + f":{name}"
        return StartResult(execution_arn=execution_arn, started=False)
    return StartResult(execution_arn=response["executionArn"], started=True)

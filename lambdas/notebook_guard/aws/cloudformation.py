"""A deployed stack's outputs (what the command line needs to know of a deployment)."""

from __future__ import annotations

from botocore.exceptions import ClientError

from notebook_guard.aws.clients import client
from notebook_guard.aws.errors import error_code, error_message


def stack_outputs(stack_name: str, region: str | None = None) -> dict[str, str] | None:
    """``{OutputKey: OutputValue}`` of the stack, or None when no stack of that name exists in the region.

    DescribeStacks answers a missing stack with a ValidationError "Stack with id NAME does not exist".
    """
    try:
        response = client("cloudformation", region).describe_stacks(StackName=stack_name)
    except ClientError as error:
        if error_code(error) == "ValidationError" and "does not exist" in error_message(error):
            return None
        raise
    stacks = response.get("Stacks") or []
    if not stacks:
        return None
    return {o["OutputKey"]: o.get("OutputValue", "") for o in stacks[0].get("Outputs") or []}

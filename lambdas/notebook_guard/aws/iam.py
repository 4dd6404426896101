"""IAM: does the notebook's execution role still exist; may a step's role do what it will be asked to?"""

from __future__ import annotations

from botocore.exceptions import ClientError

from notebook_guard.aws.clients import client
from notebook_guard.aws.errors import error_code


def role_exists(role_arn: str, region: str | None = None) -> bool:
    # A role ARN may carry a path (arn:aws:iam::123:role/service-role/Name): GetRole wants the last part.
    name = role_arn.rsplit("/", 1)[-1]
    try:
        client("iam", region).get_role(RoleName=name)
    except ClientError as error:
        if error_code(error) == "NoSuchEntity":
            return False
        raise
    return True


def simulate_principal_policy(
    role_arn: str,
    actions: list[str],
    resources: list[str],
    context: dict[str, tuple[str, ...]],
    region: str | None = None,
) -> list[dict]:
    """IAM's evaluation of ``role_arn``'s policies for each action on each resource, with these context keys
    (every page of EvaluationResults)."""
    entries = [
        {"ContextKeyName": key, "ContextKeyValues": list(values), "ContextKeyType": _context_type(key, values)}
        for key, values in sorted(context.items())
    ]
    paginator = client("iam", region).get_paginator("simulate_principal_policy")
    results: list[dict] = []
    for page in paginator.paginate(
        PolicySourceArn=role_arn, ActionNames=actions, ResourceArns=resources, ContextEntries=entries
    ):
        results += page.get("EvaluationResults", [])
    return results


def _context_type(key: str, values: tuple[str, ...]) -> str:
    if len(values) > 1:
        return "stringList"
    return "boolean" if values and values[0] in ("true", "false") else "string"

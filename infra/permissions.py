"""The CDK adapter over ``notebook_guard.permissions``: each function's grants are the policy the permission
table renders for it (``policy.render``), with CloudFormation tokens for the names. Nothing here decides an
action or a resource; it only turns the rendered statements into ``iam.PolicyStatement`` objects and hands the
wildcard reasons to cdk-nag.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from aws_cdk import Aws
from aws_cdk import aws_iam as iam

from notebook_guard.permissions.policy import MissingName, Names, Policy, render
from notebook_guard.permissions.principals import Principal

__all__ = ["Grant", "MissingName", "Names", "grant_of", "stack_names"]


@dataclass(frozen=True)
class Grant:
    statements: tuple[iam.PolicyStatement, ...]
    # cdk-nag IAM5 findings this grant causes ("Resource::<arn>", "Action::<action>") -> why it is acceptable.
    wildcard_reasons: dict[str, str] = field(default_factory=dict)


def stack_names(**names) -> Names:
    """Names for this stack's account, region and partition (tokens) plus the given resources."""
    return Names(partition=Aws.PARTITION, region=Aws.REGION, account=Aws.ACCOUNT_ID, **names)


def grant_of(principal: Principal, names: Names) -> Grant:
    policy: Policy = render(principal, names)
    return Grant(tuple(iam.PolicyStatement.from_json(s) for s in policy.statements), dict(policy.wildcard_reasons))

"""cdk-nag v3 acknowledgements (CDK's ``Validations`` API): every one names its rule, its finding and its reason.

cdk-nag v3 reports each wildcard of an IAM policy as its own finding, ``AwsSolutions-IAM5[Resource::<value>]``,
where a CloudFormation reference is written ``<LogicalId.Attr>`` or ``<AWS::Region>``. ``finding_text`` renders a
(possibly token) value the same way, so an acknowledgement can name the exact resource it excuses.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Acknowledgment, Stack, Validations
from constructs import IConstruct


def acknowledge(construct: IConstruct, rule: str, reason: str, finding: str | None = None) -> None:
    """Acknowledge ``rule`` (or one finding of it) on ``construct`` and its children."""
    rule_id = f"{rule}[{finding}]" if finding else rule
    Validations.of(construct).acknowledge(Acknowledgment(id=rule_id, reason=reason))


def finding_text(scope: IConstruct, value: str) -> str:
    """``value`` as cdk-nag prints it in a finding id."""
    return _render(Stack.of(scope).resolve(value))


def _render(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and len(value) == 1:
        ((function, argument),) = value.items()
        if function == "Ref":
            return f"<{argument}>"
        if function == "Fn::GetAtt":
            return f"<{argument[0]}.{argument[1]}>"
        if function == "Fn::Join":
            separator, parts = argument
            return separator.join(_render(part) for part in parts)
    raise ValueError(f"cannot render {value!r} as a cdk-nag finding")

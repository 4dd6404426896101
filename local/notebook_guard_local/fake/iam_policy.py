"""An IAM policy evaluator: does a set of policies allow an action on a resource in a request context?

Follows AWS's documented logic (IAM User Guide):
- "Policy evaluation logic" (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html):
  an explicit Deny in any policy wins; otherwise an Allow is needed; otherwise the request is implicitly denied.
  With several layers (SCPs, permissions boundary, identity policies), each layer must allow.
- "IAM JSON policy elements: Action / NotAction / Resource / NotResource": ``*`` and ``?`` wildcards; action
  names are case-insensitive, resources case-sensitive.
- "IAM JSON policy elements: Condition operators"
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html):
  every operator of a block must be true, every key of an operator true, any value of a key matches. A key
  missing from the context makes a condition false, except for negated operators (StringNotEquals,
  StringNotLike, ArnNotLike...) which are then true, ``...IfExists`` (true when missing) and ``Null``.
- "Single-valued vs. multivalued condition keys"
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html):
  ``ForAllValues:`` is true when every value in the request matches (and when the key is missing or empty);
  ``ForAnyValue:`` when at least one does (false when missing).

Not modelled: policy variables (``${aws:username}``), resource-based policies, session policies.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from functools import lru_cache


class Decision(StrEnum):
    ALLOWED = "allowed"
    EXPLICIT_DENY = "explicitDeny"
    IMPLICIT_DENY = "implicitDeny"


@dataclass(frozen=True)
class Policy:
    """One policy document and where it comes from (``SourcePolicyId`` / ``SourcePolicyType`` in IAM's answers)."""

    document: Mapping
    policy_id: str = "policy"
    policy_type: str = "IAM Policy"

    @classmethod
    def parse(cls, document: str | Mapping, policy_id: str = "policy", policy_type: str = "IAM Policy") -> Policy:
        return cls(json.loads(document) if isinstance(document, str) else document, policy_id, policy_type)

    def statements(self) -> list[dict]:
        statements = self.document.get("Statement", [])
        return [statements] if isinstance(statements, dict) else list(statements)


@dataclass(frozen=True)
class Matched:
    policy_id: str
    policy_type: str
    index: int
    sid: str | None
    effect: str


@dataclass
class Result:
    decision: Decision
    matched: list[Matched] = field(default_factory=list)
    missing_context: list[str] = field(default_factory=list)

    @property
    def allowed(self) -> bool:
        return self.decision is Decision.ALLOWED


class PolicyError(ValueError):
    """A policy uses an element or operator this evaluator does not know; never guessed."""


def _as_list(value) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


@lru_cache(maxsize=4096)
def _pattern(text: str, ignore_case: bool) -> re.Pattern:
    parts = (".*" if c == "*" else "." if c == "?" else re.escape(c) for c in text)
    return re.compile("^" + "".join(parts) + "$", re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def wildcard_match(pattern: str, value: str, ignore_case: bool = False) -> bool:
    return bool(_pattern(pattern, ignore_case).match(value))


def arn_match(pattern: str, value: str) -> bool:
    """ArnLike/ArnEquals: the six colon-separated parts match one by one (wildcards within a part)."""
    expected = pattern.split(":", 5)
    actual = value.split(":", 5)
    if len(expected) != 6 or len(actual) != 6:
        return wildcard_match(pattern, value)
    return all(wildcard_match(e, a) for e, a in zip(expected, actual, strict=True))


def _bool(value) -> str:
    return str(value).strip().lower()


def _number(value) -> float:
    return float(value)


def _date(value) -> float:
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()


def _ip(policy: str, value: str) -> bool:
    return ipaddress.ip_address(str(value)) in ipaddress.ip_network(str(policy), strict=False)


# Base operator -> (compare(policy value, request value), negated)
_OPERATORS = {
    "StringEquals": (lambda p, v: str(p) == str(v), False),
    "StringNotEquals": (lambda p, v: str(p) == str(v), True),
    "StringEqualsIgnoreCase": (lambda p, v: str(p).lower() == str(v).lower(), False),
    "StringNotEqualsIgnoreCase": (lambda p, v: str(p).lower() == str(v).lower(), True),
    "StringLike": (lambda p, v: wildcard_match(str(p), str(v)), False),
    "StringNotLike": (lambda p, v: wildcard_match(str(p), str(v)), True),
    "ArnEquals": (lambda p, v: arn_match(str(p), str(v)), False),
    "ArnLike": (lambda p, v: arn_match(str(p), str(v)), False),
    "ArnNotEquals": (lambda p, v: arn_match(str(p), str(v)), True),
    "ArnNotLike": (lambda p, v: arn_match(str(p), str(v)), True),
    "Bool": (lambda p, v: _bool(p) == _bool(v), False),
    "NumericEquals": (lambda p, v: _number(v) == _number(p), False),
    "NumericNotEquals": (lambda p, v: _number(v) == _number(p), True),
    "NumericLessThan": (lambda p, v: _number(v) < _number(p), False),
    "NumericLessThanEquals": (lambda p, v: _number(v) <= _number(p), False),
    "NumericGreaterThan": (lambda p, v: _number(v) > _number(p), False),
    "NumericGreaterThanEquals": (lambda p, v: _number(v) >= _number(p), False),
    "DateEquals": (lambda p, v: _date(v) == _date(p), False),
    "DateNotEquals": (lambda p, v: _date(v) == _date(p), True),
    "DateLessThan": (lambda p, v: _date(v) < _date(p), False),
    "DateLessThanEquals": (lambda p, v: _date(v) <= _date(p), False),
    "DateGreaterThan": (lambda p, v: _date(v) > _date(p), False),
    "DateGreaterThanEquals": (lambda p, v: _date(v) >= _date(p), False),
    "IpAddress": (_ip, False),
    "NotIpAddress": (_ip, True),
}


def _lookup(context: Mapping[str, object], key: str):
    """Context keys are case-insensitive. Returns None when the key is absent."""
    lowered = key.lower()
    for name, value in context.items():
        if name.lower() == lowered:
            return value
    return None


def condition_holds(operator: str, key: str, policy_values, context: Mapping[str, object]) -> bool:
    """One ``"Operator": {"key": values}`` entry of a Condition block."""
    qualifier, _, base = operator.rpartition(":")
    if_exists = base.endswith("IfExists")
    base = base.removesuffix("IfExists")
    value = _lookup(context, key)
    missing = value is None or (isinstance(value, list | tuple) and not value)
    expected = _as_list(policy_values)
    if base == "Null":
        if qualifier or if_exists:
            raise PolicyError(f"unsupported operator {operator}")
        return any(_bool(p) == ("true" if missing else "false") for p in expected)
    if base not in _OPERATORS:
        raise PolicyError(f"unsupported condition operator {operator}")
    compare, negated = _OPERATORS[base]

    def one(request_value) -> bool:
        matched = any(compare(p, request_value) for p in expected)
        return not matched if negated else matched

    if qualifier == "ForAllValues":
        return missing or all(one(v) for v in _as_list(value))
    if qualifier == "ForAnyValue":
        return not missing and any(one(v) for v in _as_list(value))
    if qualifier:
        raise PolicyError(f"unsupported set operator {qualifier}")
    if missing:
        return if_exists or negated
    values = _as_list(value)
    # A single-valued operator given several request values: true when one of them satisfies it (positive),
    # when none of them matches (negated).
    return all(one(v) for v in values) if negated else any(one(v) for v in values)


def _conditions_hold(conditions: Mapping, context: Mapping[str, object], missing: set[str]) -> bool:
    holds = True
    for operator, entries in (conditions or {}).items():
        for key, values in entries.items():
            if _lookup(context, key) is None:
                missing.add(key)
            if not condition_holds(operator, key, values, context):
                holds = False
    return holds


def _matches_action(statement: Mapping, action: str) -> bool:
    if "Action" in statement:
        return any(wildcard_match(p, action, ignore_case=True) for p in _as_list(statement["Action"]))
    if "NotAction" in statement:
        return not any(wildcard_match(p, action, ignore_case=True) for p in _as_list(statement["NotAction"]))
    raise PolicyError("a statement needs Action or NotAction")


def _matches_resource(statement: Mapping, resource: str) -> bool:
    if "Resource" in statement:
        return any(wildcard_match(p, resource) for p in _as_list(statement["Resource"]))
    if "NotResource" in statement:
        return not any(wildcard_match(p, resource) for p in _as_list(statement["NotResource"]))
    raise PolicyError("a statement needs Resource or NotResource")


def evaluate(
    policies: Iterable[Policy], action: str, resource: str, context: Mapping[str, object] | None = None
) -> Result:
    """One layer of policies: explicit deny > allow > implicit deny."""
    context = context or {}
    allows: list[Matched] = []
    denies: list[Matched] = []
    missing: set[str] = set()
    for policy in policies:
        for index, statement in enumerate(policy.statements()):
            effect = statement.get("Effect")
            if effect not in ("Allow", "Deny"):
                raise PolicyError(f"statement {index} of {policy.policy_id}: Effect must be Allow or Deny")
            if not (_matches_action(statement, action) and _matches_resource(statement, resource)):
                continue
            if not _conditions_hold(statement.get("Condition") or {}, context, missing):
                continue
            matched = Matched(policy.policy_id, policy.policy_type, index, statement.get("Sid"), effect)
            (denies if effect == "Deny" else allows).append(matched)
    if denies:
        return Result(Decision.EXPLICIT_DENY, denies, sorted(missing))
    if allows:
        return Result(Decision.ALLOWED, allows, sorted(missing))
    return Result(Decision.IMPLICIT_DENY, [], sorted(missing))


def authorize(
    layers: Sequence[Iterable[Policy]], action: str, resource: str, context: Mapping[str, object] | None = None
) -> Result:
    """Several layers (e.g. SCPs, permissions boundary, identity policies): an explicit deny in any layer denies;
    otherwise every layer must allow."""
    results = [evaluate(layer, action, resource, context) for layer in layers]
    for result in results:
        if result.decision is Decision.EXPLICIT_DENY:
            return result
    for result in results:
        if result.decision is Decision.IMPLICIT_DENY:
            return result
    matched = [m for r in results for m in r.matched]
    return Result(Decision.ALLOWED, matched, sorted({k for r in results for k in r.missing_context}))

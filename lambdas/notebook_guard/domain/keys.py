"""May the steps use the notebook's KMS key? What its metadata and its key policy say (pure).

What this can prove and what it cannot:
- DescribeKey: the key is ``Enabled``, for ``ENCRYPT_DECRYPT`` and symmetric (``SYMMETRIC_DEFAULT``): the notebook's
  ML storage volume is an EBS volume, and "Amazon EBS does not support asymmetric KMS keys" (EC2 API Reference,
  ModifyEbsDefaultKmsKeyId); a disabled key makes instances fail to launch (same page).
- The key policy (GetKeyPolicy): "Unless the key policy explicitly allows it, you cannot use IAM policies to allow
  access to a KMS key" (KMS Developer Guide, "Key policies in AWS KMS"). So the roles' IAM grants, which the
  Preflight simulates, only count if the key policy enables IAM policies for the account (a statement allowing the
  account's root principal) or names the role itself. A statement with conditions may or may not apply: it is
  reported as unproven, not as denied. Explicit unconditional denies are found.
- Not proven: grants on the key (ListGrants), conditions (evaluated only by KMS at request time), SCPs.
"""

from __future__ import annotations

import fnmatch
import json
from dataclasses import dataclass, field

ALLOWED = "allowed"
CONDITIONAL = "conditional"  # only statements with conditions allow it
DENIED = "denied"
NOT_ALLOWED = "not allowed"


def metadata_problems(key_id: str, metadata: dict | None) -> list[str]:
    """Why the key cannot encrypt the notebook's volume (empty: it can, as far as its metadata says)."""
    if metadata is None:
        return [f"KMS key {key_id} does not exist: CreateNotebookInstance would fail after the delete"]
    problems = []
    state = metadata.get("KeyState")
    if state != "Enabled":
        problems.append(f"KMS key {key_id} is {state or 'in an unknown state'}, not Enabled")
    usage = metadata.get("KeyUsage", "ENCRYPT_DECRYPT")
    spec = metadata.get("KeySpec") or metadata.get("CustomerMasterKeySpec") or "SYMMETRIC_DEFAULT"
    if usage != "ENCRYPT_DECRYPT" or spec != "SYMMETRIC_DEFAULT":
        problems.append(
            f"KMS key {key_id} is {spec} for {usage}: the notebook's volume (EBS) needs a symmetric encryption key"
        )
    return problems


@dataclass
class PolicyVerdict:
    decision: str  # ALLOWED | CONDITIONAL | DENIED | NOT_ALLOWED
    via_iam: bool = False  # allowed by enabling IAM policies (the role's own grants then decide)
    statements: list[str] = field(default_factory=list)  # Sids (or indexes) of the statements that decided


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value] if value is not None else []


def _principals(statement: dict) -> list[str]:
    principal = statement.get("Principal")
    if principal == "*":
        return ["*"]
    if isinstance(principal, dict):
        return [str(p) for p in _as_list(principal.get("AWS"))]
    return []


def _action_matches(statement: dict, action: str) -> bool:
    if "NotAction" in statement:
        return not any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in _as_list(statement["NotAction"]))
    return any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in _as_list(statement.get("Action")))


def _principal_matches(principals: list[str], role_arn: str, account: str) -> tuple[bool, bool]:
    """(matches the role, by enabling IAM policies for its account)."""
    root = {account, f"arn:aws:iam::{account}:root", f"arn:aws-cn:iam::{account}:root",
            f"arn:aws-us-gov:iam::{account}:root"}
    for principal in principals:
        if principal == "*" or principal == role_arn:
            return True, False
        if principal in root:
            return True, True
    return False, False


def evaluate_key_policy(policy: dict | str, action: str, role_arn: str, account: str) -> PolicyVerdict:
    """Whether the key policy lets ``role_arn`` (of ``account``) perform ``action`` on the key."""
    document = json.loads(policy) if isinstance(policy, str) else policy
    allowed, conditional, denied = [], [], []
    for index, statement in enumerate(_as_list(document.get("Statement"))):
        matches, via_iam = _principal_matches(_principals(statement), role_arn, account)
        if not matches or not _action_matches(statement, action):
            continue
        sid = str(statement.get("Sid") or f"statement {index + 1}")
        if statement.get("Effect") == "Deny":
            if not statement.get("Condition"):
                denied.append(sid)
            continue
        (conditional if statement.get("Condition") else allowed).append((sid, via_iam))
    if denied:
        return PolicyVerdict(DENIED, statements=denied)
    if allowed:
        return PolicyVerdict(ALLOWED, via_iam=all(v for _, v in allowed), statements=[s for s, _ in allowed])
    if conditional:
        return PolicyVerdict(CONDITIONAL, statements=[s for s, _ in conditional])
    return PolicyVerdict(NOT_ALLOWED)


def policy_findings(
    key_id: str, policy: dict | str, needs: dict[str, tuple[str, ...]], account: str
) -> tuple[list[str], list[str]]:
    """(problems, warnings) for the roles that will use the key: ``needs`` maps a role ARN to its KMS actions."""
    problems, warnings = [], []
    for role_arn, actions in needs.items():
        for action in actions:
            verdict = evaluate_key_policy(policy, action, role_arn, account)
            if verdict.decision == DENIED:
                problems.append(
                    f"the key policy of KMS key {key_id} denies {action} to {role_arn} "
                    f"({', '.join(verdict.statements)})"
                )
            elif verdict.decision == NOT_ALLOWED:
                problems.append(
                    f"the key policy of KMS key {key_id} neither allows {action} to {role_arn} nor enables IAM "
                    f"policies for account {account}: its IAM grant has no effect (add the role, or the default "
                    "statement for the account, to the key policy)"
                )
            elif verdict.decision == CONDITIONAL:
                warnings.append(
                    f"the key policy of KMS key {key_id} allows {action} to {role_arn} only under conditions "
                    f"({', '.join(verdict.statements)}) that notebook-guard cannot evaluate before the request"
                )
    return problems, warnings

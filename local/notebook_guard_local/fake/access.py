"""Same-account access with a resource policy: what AWS decides for a role's request on a bucket (or a key) whose own
policy may grant it, evaluated over moto's IAM, S3 and KMS as the rest of the simulation holds them.

IAM User Guide, "Policy evaluation logic" (requests within a single account): an explicit deny in any applicable
policy denies; otherwise an allow in the identity-based policies OR in the resource-based policy allows. A permissions
boundary limits what the identity policies grant and, for a resource policy that names the role's ARN (not a role
session), what that grants too ("Permissions boundaries for IAM entities": an implicit deny in the boundary limits a
resource-based grant to the role ARN). Used by the notebook's side of the simulation (``fake/lifecycle.py``: the
scripts' S3 and KMS traffic).

KMS: the key policy is not evaluated (the stack's and moto's default key policies enable IAM policies); a grant to
the role for the operation allows it ("Grants in AWS KMS"), and so does an identity policy.
"""

from __future__ import annotations

import json

from notebook_guard_local.fake.iam_policy import Decision, Policy, Result, evaluate


def principal_matches(statement: dict, principal_arn: str) -> bool:
    """Whether the statement's Principal names this role (its ARN) or everyone."""
    principal = statement.get("Principal")
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    values = principal.get("AWS")
    values = values if isinstance(values, list) else [values]
    return "*" in values or principal_arn in values


def resource_policy_of(document: dict | str | None, principal_arn: str, policy_id: str = "resource") -> Policy:
    """The statements of a resource policy that apply to ``principal_arn``."""
    if isinstance(document, str):
        document = json.loads(document) if document else None
    statements = [s for s in (document or {}).get("Statement", []) if principal_matches(s, principal_arn)]
    stripped = [{k: v for k, v in s.items() if k not in ("Principal", "NotPrincipal")} for s in statements]
    return Policy({"Version": "2012-10-17", "Statement": stripped}, policy_id, "Resource Policy")


def decide(layers: list, resource_policy: Policy | None, action: str, resource: str, context: dict) -> Result:
    """Single-account decision: ``layers`` = [identity policies] (+ [permissions boundary])."""
    identity = evaluate(layers[0], action, resource, context) if layers else Result(Decision.IMPLICIT_DENY)
    boundary = evaluate(layers[1], action, resource, context) if len(layers) > 1 else None
    granted = evaluate([resource_policy], action, resource, context) if resource_policy else None
    for result in (identity, boundary, granted):
        if result is not None and result.decision is Decision.EXPLICIT_DENY:
            return result
    boundary_allows = boundary is None or boundary.allowed
    if identity.allowed and boundary_allows:
        return identity
    if granted is not None and granted.allowed and boundary_allows:
        return granted
    return Result(Decision.IMPLICIT_DENY, [], identity.missing_context)


def _layers(role_arn: str, account: str) -> list:
    from notebook_guard_local.fake.enforcement import role_layers

    found = role_layers(role_arn.rsplit("/", 1)[-1], account)
    return found[1] if found and found[0] == role_arn else []


def s3_denied(role_arn: str, action: str, bucket: str, key: str, account: str, region: str) -> str | None:
    """Why the role may not ``action`` the object (None: it may)."""
    from moto.s3.models import s3_backends

    found = s3_backends[account]["aws"].buckets.get(bucket)
    if found is None:
        return f"NoSuchBucket: {bucket}"
    policy = found.policy.decode() if isinstance(found.policy, bytes) else found.policy
    context = {"aws:PrincipalArn": role_arn, "aws:PrincipalAccount": account, "aws:SecureTransport": "true",
               "aws:RequestedRegion": region}
    result = decide(_layers(role_arn, account), resource_policy_of(policy, role_arn), action,
                    f"arn:aws:s3:::{bucket}/{key}", context)
    return None if result.allowed else f"AccessDenied ({action} on {bucket}/{key}: {result.decision.value})"


def kms_denied(role_arn: str, operation: str, key_id: str, account: str, region: str) -> str | None:
    """Why the role may not use the key for ``operation`` through S3 (None: it may): a grant, or its identity."""
    from moto.kms.models import kms_backends

    backend = kms_backends[account][region]
    try:
        key = backend.describe_key(key_id)
    except Exception:  # NotFoundException
        return f"KMS key {key_id} not found"
    if key.key_state != "Enabled":
        return f"KMS key {key_id} is {key.key_state}"
    if any(g.grantee_principal == role_arn and operation in g.operations for g in key.grants.values()):
        return None
    context = {"aws:PrincipalArn": role_arn, "kms:ViaService": f"s3.{region}.amazonaws.com"}
    result = decide(_layers(role_arn, account), None, f"kms:{operation}", key.arn, context)
    return None if result.allowed else f"AccessDenied (kms:{operation} on {key.arn}: no grant, {result.decision.value})"

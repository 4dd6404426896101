"""KMS: is the notebook's volume key usable?"""

from __future__ import annotations

from botocore.exceptions import ClientError

from notebook_guard.aws.clients import client
from notebook_guard.aws.errors import error_code


def key_metadata(key_id: str, region: str | None = None) -> dict | None:
    """The key's metadata (its ``Arn``, ``KeyState``...), or None when it does not exist."""
    try:
        return client("kms", region).describe_key(KeyId=key_id)["KeyMetadata"]
    except ClientError as error:
        if error_code(error) == "NotFoundException":
            return None
        raise


def key_state(key_id: str, region: str | None = None) -> str | None:
    """The key's state (``Enabled``, ``Disabled``, ``PendingDeletion``...), or None when it does not exist."""
    metadata = key_metadata(key_id, region)
    return metadata.get("KeyState") if metadata else None


def key_policy(key_arn: str, region: str | None = None) -> str:
    """The key's policy document (JSON text); the key is named by its ARN (GetKeyPolicy works in its own account)."""
    return client("kms", region).get_key_policy(KeyId=key_arn, PolicyName="default")["Policy"]


def create_grant(
    key_arn: str, grantee: str, operations: tuple[str, ...], retiring: str | None, name: str, region: str | None = None
) -> str:
    """CreateGrant; returns the grant id. ``name`` makes a retry with the same parameters return the same grant
    (KMS API Reference, CreateGrant: Name). Without a retiring principal it is revoked (RevokeGrant) instead."""
    request = {"KeyId": key_arn, "GranteePrincipal": grantee, "Operations": list(operations), "Name": name}
    if retiring:
        request["RetiringPrincipal"] = retiring
    return client("kms", region).create_grant(**request)["GrantId"]


def retire_grant(key_arn: str, grant_id: str, region: str | None = None) -> bool:
    """RetireGrant by its retiring principal; False when the grant is gone already."""
    try:
        client("kms", region).retire_grant(KeyId=key_arn, GrantId=grant_id)
    except ClientError as error:
        if error_code(error) == "NotFoundException":
            return False
        raise
    return True


def revoke_grant(key_arn: str, grant_id: str, region: str | None = None) -> bool:
    """RevokeGrant (kms:RevokeGrant on the key); False when the grant is gone already."""
    try:
        client("kms", region).revoke_grant(KeyId=key_arn, GrantId=grant_id)
    except ClientError as error:
        if error_code(error) == "NotFoundException":
            return False
        raise
    return True

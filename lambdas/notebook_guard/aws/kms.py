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

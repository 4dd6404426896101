"""KMS: is the notebook's volume key usable?"""

from __future__ import annotations

from botocore.exceptions import ClientError

from notebook_guard.aws.clients import client
from notebook_guard.aws.errors import error_code


def key_state(key_id: str, region: str | None = None) -> str | None:
    """The key's state (``Enabled``, ``Disabled``, ``PendingDeletion``...), or None when it does not exist."""
    try:
        metadata = client("kms", region).describe_key(KeyId=key_id)["KeyMetadata"]
    except ClientError as error:
        if error_code(error) == "NotFoundException":
            return None
        raise
    return metadata.get("KeyState")

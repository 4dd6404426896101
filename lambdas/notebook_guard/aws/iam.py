"""IAM: does the notebook's execution role still exist?"""

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

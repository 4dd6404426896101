"""The EventBridge events the intake receives in AWS, built the way AWS builds them.

CloudTrail records carry the request in lowerCamelCase (``notebookInstanceName``, ``subnetId``...), see
aws-facts.md; the native state-change event carries the Describe fields and the tags as a map.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

CALLER_ARN = "arn:aws:sts::{account}:assumed-role/DataScientist/jane.doe@example.com"


def _camel(key: str) -> str:
    return key[0].lower() + key[1:]


def _lower_keys(value):
    if isinstance(value, dict):
        return {_camel(k): _lower_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_lower_keys(v) for v in value]
    return value


def cloudtrail_create_event(request: dict, notebook_arn: str, account: str, region: str) -> dict:
    """``AWS API Call via CloudTrail`` for a successful CreateNotebookInstance with ``request``."""
    now = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "AWS API Call via CloudTrail",
        "source": "aws.sagemaker",
        "account": account,
        "time": now,
        "region": region,
        "resources": [],
        "detail": {
            "eventVersion": "1.09",
            "userIdentity": {
                "type": "AssumedRole",
                "arn": CALLER_ARN.format(account=account),
                "accountId": account,
                "sessionContext": {"sessionIssuer": {"type": "Role", "userName": "DataScientist"}},
            },
            "eventTime": now,
            "eventSource": "sagemaker.amazonaws.com",
            "eventName": "CreateNotebookInstance",
            "awsRegion": region,
            "sourceIPAddress": "203.0.113.24",
            "userAgent": "aws-cli/2.17.0 md/Botocore#1.35.0 ua/2.0 os/macos",
            "requestParameters": _lower_keys(request),
            "responseElements": {"notebookInstanceArn": notebook_arn},
            "requestID": str(uuid.uuid4()),
            "eventID": str(uuid.uuid4()),
            "readOnly": False,
            "eventType": "AwsApiCall",
            "managementEvent": True,
            "recipientAccountId": account,
            "eventCategory": "Management",
        },
    }


def state_change_event(describe: dict, tags: dict[str, str], account: str, region: str) -> dict:
    """``SageMaker Notebook Instance State Change``: the Describe fields, plus the tags as a map."""
    detail = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in describe.items()}
    detail.pop("ResponseMetadata", None)
    detail["Tags"] = dict(tags)
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "SageMaker Notebook Instance State Change",
        "source": "aws.sagemaker",
        "account": account,
        "time": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "region": region,
        "resources": [describe["NotebookInstanceArn"]],
        "detail": detail,
    }

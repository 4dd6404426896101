"""SQS: the alert dead-letter queue, where an alert SNS refused waits for a person."""

from __future__ import annotations

import json

from notebook_guard.aws.clients import client


def send_message(queue_url: str, document: dict, region: str | None = None) -> str:
    response = client("sqs", region).send_message(QueueUrl=queue_url, MessageBody=json.dumps(document, default=str))
    return response["MessageId"]

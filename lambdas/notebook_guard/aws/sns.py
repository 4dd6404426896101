"""Publishing alerts."""

from __future__ import annotations

from notebook_guard.aws.clients import client
from notebook_guard.domain.alerts import Alert


def publish_alert(topic_arn: str, alert: Alert, region: str | None = None) -> str:
    response = client("sns", region).publish(
        TopicArn=topic_arn,
        Subject=alert.subject(),
        Message=alert.body(),
        MessageAttributes=alert.message_attributes(),
    )
    return response["MessageId"]

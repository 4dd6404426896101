"""Delivering an alert so that it never vanishes: the topic, or else the alert dead-letter queue.

A publish that still fails after the client's retries (throttling, a 5xx, a denied key or topic policy) is
parked, whole, in the alert dead-letter queue. That queue has its own CloudWatch alarm, whose notification goes
to a fallback topic as well as the alert topic (see the README, "When an alert cannot be delivered"), so a
broken topic cannot silence its own failure.
"""

from __future__ import annotations

from dataclasses import dataclass

from botocore.exceptions import BotoCoreError, ClientError

from notebook_guard.aws import sns, sqs
from notebook_guard.aws.errors import error_code, error_message
from notebook_guard.domain.alerts import Alert
from notebook_guard.settings import Settings


@dataclass(frozen=True)
class Delivery:
    message_id: str | None = None  # SNS message id when published
    parked: str | None = None  # SQS message id when parked in the alert dead-letter queue
    error: str | None = None  # why the publish failed

    @property
    def delivered(self) -> bool:
        return self.message_id is not None or self.parked is not None

    def to_dict(self) -> dict:
        return {"message_id": self.message_id, "parked": self.parked, "publish_error": self.error}


def deliver(alert: Alert, settings: Settings) -> Delivery:
    """Publish ``alert``; on failure park it in the dead-letter queue. Raises only when both fail."""
    if not settings.alert_topic_arn:
        return Delivery()
    try:
        return Delivery(message_id=sns.publish_alert(settings.alert_topic_arn, alert, settings.region))
    except (ClientError, BotoCoreError) as error:
        reason = f"{error_code(error) or type(error).__name__}: {error_message(error)}"
        if not settings.alert_dead_letter_queue_url:
            raise
    parked = sqs.send_message(
        settings.alert_dead_letter_queue_url,
        {
            "topic_arn": settings.alert_topic_arn,
            "publish_error": reason,
            "subject": alert.subject(),
            "message": alert.body(),
            "message_attributes": alert.message_attributes(),
        },
        settings.region,
    )
    return Delivery(parked=parked, error=reason)

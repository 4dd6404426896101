"""Warnings at synth time (CDK annotations) about settings that deploy but probably do not do what is meant.

A warning does not stop synth; ``cdk synth --strict`` (or ``cdk deploy --strict``) turns it into an error.
"""

from __future__ import annotations

from aws_cdk import Annotations, Stack

from infra.settings import StackSettings

NO_SUBSCRIBER = "notebook-guard:no-alert-subscriber"
NO_SUBSCRIBER_TEXT = (
    "No alert subscriber: alert_emails and alert_topic_arn are both unset, so the alert topic has no "
    "subscription and every alert (remediation started, remediated, blocked, failed with the restore steps) "
    "goes nowhere. Deploy with -c alert_emails=secops@example.com, or -c alert_topic_arn=<a topic you watch>, "
    "or subscribe to the AlertTopicArn output yourself."
)


def advise(stack: Stack, settings: StackSettings) -> None:
    if not settings.alert_emails and not settings.alert_topic_arn:
        Annotations.of(stack).add_warning_v2(NO_SUBSCRIBER, NO_SUBSCRIBER_TEXT)

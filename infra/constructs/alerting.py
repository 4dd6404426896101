"""Where people hear about violations and failures: an SNS topic (KMS-encrypted) and the alarms that use it.

An alert the topic refuses (after the functions' retries) is parked in the alert dead-letter queue. Its alarm
must not depend on the topic that failed: it notifies a fallback topic of its own (``fallback_alert_emails``)
as well as the alert topic, and shows in the CloudWatch console either way.
"""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra.nag import acknowledge
from infra.settings import StackSettings


class Alerting(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, settings: StackSettings) -> None:
        super().__init__(scope, construct_id)
        self.key: kms.Key | None = None
        if settings.alert_topic_arn:
            # An existing topic: its policy and key are its owner's; see the README (Deploy) for what they must allow.
            self.topic: sns.ITopic = sns.Topic.from_topic_arn(self, "Topic", settings.alert_topic_arn)
        else:
            self.key = kms.Key(
                self,
                "TopicKey",
                description="notebook-guard alert topic",
                enable_key_rotation=True,
            )
            account = {"aws:SourceAccount": Stack.of(self).account}
            # CloudWatch alarms and EventBridge publish through SNS with a data key of this CMK.
            for service in ("cloudwatch.amazonaws.com", "events.amazonaws.com"):
                self.key.add_to_resource_policy(
                    iam.PolicyStatement(
                        principals=[iam.ServicePrincipal(service)],
                        actions=["kms:GenerateDataKey*", "kms:Decrypt"],
                        resources=["*"],  # in a key policy, "*" means this key
                        conditions={"StringEquals": account},
                    )
                )
            topic = sns.Topic(
                self,
                "Topic",
                display_name="notebook-guard alerts",
                master_key=self.key,
                enforce_ssl=True,
            )
            topic.add_to_resource_policy(
                iam.PolicyStatement(
                    sid="AllowCloudWatchAlarms",
                    principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                    actions=["sns:Publish"],
                    resources=[topic.topic_arn],
                    conditions={"StringEquals": account},
                )
            )
            for email in settings.alert_emails:
                topic.add_subscription(subscriptions.EmailSubscription(email))
            self.topic = topic
        self._action = actions.SnsAction(self.topic)
        self.alarms: list[cloudwatch.Alarm] = []

        self.dead_letters = sqs.Queue(
            self,
            "AlertDeadLetters",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        acknowledge(
            self.dead_letters,
            "AwsSolutions-SQS3",
            "This queue is itself the dead-letter queue of the alert topic: the functions send it an alert SNS "
            "refused; a person reads it (its alarm says so). Nothing consumes it automatically, so it needs none.",
        )
        self.fallback_topic = sns.Topic(
            self,
            "FallbackTopic",
            display_name="notebook-guard: alerts could not be delivered",
            enforce_ssl=True,
        )
        self.fallback_topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchAlarms",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[self.fallback_topic.topic_arn],
                conditions={"StringEquals": {"aws:SourceAccount": Stack.of(self).account}},
            )
        )
        acknowledge(
            self.fallback_topic,
            "AwsSolutions-SNS2",
            "The fallback topic carries only CloudWatch alarm notifications (alarm name, state, metric; no notebook "
            "data). It must keep working when the alert topic's key policy is what broke, so it does not share that "
            "key, and CloudWatch cannot publish to a topic encrypted with the AWS managed key for SNS.",
        )
        for email in settings.fallback_alert_emails:
            self.fallback_topic.add_subscription(subscriptions.EmailSubscription(email))
        parked = self._alarm(
            "AlertsParked",
            self.dead_letters.metric_approximate_number_of_messages_visible(period=Duration.minutes(5)),
            "An alert could not be published to the alert topic and waits in the alert dead-letter queue: read it "
            "there (it holds the subject and body as sent) and fix the topic or its key policy.",
        )
        parked.add_alarm_action(actions.SnsAction(self.fallback_topic))

    def _alarm(self, construct_id: str, metric: cloudwatch.IMetric, description: str) -> cloudwatch.Alarm:
        alarm = cloudwatch.Alarm(
            self,
            construct_id,
            metric=metric,
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description=description,
        )
        alarm.add_alarm_action(self._action)
        self.alarms.append(alarm)
        return alarm

    def watch_workflow(self, machine: sfn.IStateMachine) -> None:
        period = Duration.minutes(5)
        for name, metric in (
            ("Failed", machine.metric_failed(period=period)),
            ("TimedOut", machine.metric_timed_out(period=period)),
            ("Aborted", machine.metric_aborted(period=period)),
        ):
            self._alarm(
                f"Workflow{name}",
                metric,
                f"A remediation execution {name.lower()}: a notebook may be "
                "stopped or deleted without its replacement. Check the execution history.",
            )

    def watch_function(self, name: str, function: lambda_.IFunction) -> None:
        self._alarm(
            f"{name}Errors",
            function.metric_errors(period=Duration.minutes(5)),
            f"The {name} function raised errors.",
        )

    def watch_dead_letters(self, name: str, queue: sqs.IQueue) -> None:
        self._alarm(
            f"{name}DeadLetters",
            queue.metric_approximate_number_of_messages_visible(period=Duration.minutes(5)),
            f"Events for {name} could not be processed and wait in its dead-letter queue.",
        )

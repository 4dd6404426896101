"""How violators are found: EventBridge rules (CloudTrail, native state change, Security Hub control findings)
feeding the intake function, and a schedule driving the sweep. Both functions are invoked asynchronously, so each
has a dead-letter queue for the rule target (delivery failures) and for the function (handler failures)."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra import constants
from infra.constructs.functions import GuardFunction, LambdaPackage
from infra.permissions import Names, grant_of
from infra.settings import StackSettings
from notebook_guard.domain.findings import CONTROL_IDS, NOTEBOOK_RESOURCE_TYPE
from notebook_guard.permissions import principals

# Created without a subnet, and the call succeeded. `exists` applies to leaf fields only, hence `subnetId`.
CLOUDTRAIL_PATTERN = {
    "source": ["aws.sagemaker"],
    "detail-type": [constants.CLOUDTRAIL_DETAIL_TYPE],
    "detail": {
        "eventSource": ["sagemaker.amazonaws.com"],
        "eventName": ["CreateNotebookInstance"],
        "requestParameters": {"subnetId": [{"exists": False}]},
        "errorCode": [{"exists": False}],
    },
}
STATE_CHANGE_PATTERN = {
    "source": ["aws.sagemaker"],
    "detail-type": [constants.STATE_CHANGE_DETAIL_TYPE],
    "detail": {"NotebookInstanceStatus": list(constants.STATE_CHANGE_STATUSES)},
}
# A SageMaker.1/.2/.3 control finding (consolidated or per-standard: both carry Compliance.SecurityControlId) about
# a notebook, failed, active and still NEW. Our own BatchUpdateFindings also emit "Imported" events (User Guide,
# "BatchUpdateFindings for customers"); they set NOTIFIED/RESOLVED/SUPPRESSED, so they never match. A pattern on a
# field inside the findings array matches when any finding has it (EventBridge, "Arrays in event patterns").
FINDING_PATTERN = {
    "source": ["aws.securityhub"],
    "detail-type": [constants.SECURITY_HUB_IMPORTED_DETAIL_TYPE],
    "detail": {
        "findings": {
            "Compliance": {"Status": ["FAILED"], "SecurityControlId": list(CONTROL_IDS)},
            "RecordState": ["ACTIVE"],
            "Workflow": {"Status": ["NEW"]},
            "Resources": {"Type": [NOTEBOOK_RESOURCE_TYPE]},
        }
    },
}



def dead_letter_queue(scope: Construct, construct_id: str) -> sqs.Queue:
    queue = sqs.Queue(
        scope,
        construct_id,
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
        retention_period=Duration.days(14),
    )
    return queue


def event_target(function: GuardFunction, queue: sqs.IQueue) -> targets.LambdaFunction:
    """An EventBridge rule's target: the function, retried by EventBridge, then the event parked in ``queue``."""
    return targets.LambdaFunction(
        function.function,
        dead_letter_queue=queue,
        retry_attempts=constants.EVENT_RETRY_ATTEMPTS,
        max_event_age=Duration.hours(constants.EVENT_MAX_AGE_HOURS),
    )


class Detection(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: StackSettings,
        package: LambdaPackage,
        environment: Mapping[str, str],
        names: Names,
        log_retention: logs.RetentionDays,
    ) -> None:
        super().__init__(scope, construct_id)
        self.intake_dlq = dead_letter_queue(self, "IntakeDeadLetters")
        self.sweep_dlq = dead_letter_queue(self, "SweepDeadLetters")
        # The Security Hub custom actions' function (infra.constructs.security_hub), when the stack creates them.
        self.approval_dlq = (
            dead_letter_queue(self, "ApprovalActionDeadLetters") if settings.creates_custom_actions else None
        )

        self.intake = GuardFunction(
            self,
            "Intake",
            package=package,
            handler=constants.INTAKE_HANDLER,
            description="Evaluate a notebook named by a CloudTrail or state-change event and hand it on",
            timeout_seconds=30,
            environment=environment,
            grants=[grant_of(principals.INTAKE, names)],
            log_retention=log_retention,
            dead_letter_queue=self.intake_dlq,
        )
        self.sweep = GuardFunction(
            self,
            "Sweep",
            package=package,
            handler=constants.SWEEP_HANDLER,
            description="Evaluate every notebook instance of the region and hand violators on",
            # Thousands of notebooks at SageMaker's Describe rate, with adaptive retries.
            timeout_seconds=900,
            memory_size=512,
            environment=environment,
            grants=[grant_of(principals.SWEEP, names)],
            log_retention=log_retention,
            dead_letter_queue=self.sweep_dlq,
        )

        intake_target = event_target(self.intake, self.intake_dlq)
        self.cloudtrail_rule = events.Rule(
            self,
            "CreatedWithoutSubnet",
            description="CloudTrail: CreateNotebookInstance without a subnet (needs a trail with logging)",
            event_pattern=_pattern(CLOUDTRAIL_PATTERN),
            targets=[intake_target],
        )
        self.state_change_rule = events.Rule(
            self,
            "NotebookStateChange",
            description="SageMaker notebook instance state change to Pending or InService (no trail needed): a "
            "creation, or a restart of an older notebook",
            event_pattern=_pattern(STATE_CHANGE_PATTERN),
            targets=[intake_target],
        )
        self.finding_rule = (
            events.Rule(
                self,
                "ControlFinding",
                description="Security Hub: a SageMaker.1/.2/.3 control finding about a notebook, FAILED and NEW",
                event_pattern=_pattern(FINDING_PATTERN),
                targets=[intake_target],
            )
            if settings.finding_rule
            else None
        )
        self.schedule_rule = events.Rule(
            self,
            "SweepSchedule",
            description="Sweep every notebook instance of the region",
            schedule=events.Schedule.expression(settings.sweep_schedule),
            targets=[event_target(self.sweep, self.sweep_dlq)],
        )



def _pattern(pattern: dict) -> events.EventPattern:
    return events.EventPattern(source=pattern["source"], detail_type=pattern["detail-type"], detail=pattern["detail"])

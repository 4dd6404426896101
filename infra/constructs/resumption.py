"""How the workflow's waits end: SageMaker's state-change events and a schedule, both feeding the resume function.

Every wait of the workflow is a callback task that registers its token in the coordination table. The resume
function answers it when the notebook gets there: on a state-change event (a rule of its own for every status;
the detection rule keeps filtering Pending/InService for the intake) and on the reconciler's schedule, which
ends waits whose events were lost. Invoked asynchronously, with a dead-letter queue for the rule targets and the
function. ``states:SendTaskSuccess`` is granted on the remediation state machine only (see the permission table).
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import aws_events as events
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra import constants
from infra.constructs.detection import dead_letter_queue, event_target
from infra.constructs.functions import GuardFunction, LambdaPackage
from infra.permissions import Names, grant_of
from infra.settings import StackSettings
from notebook_guard.models.events import WAIT_EVENTS_PATTERN
from notebook_guard.permissions import principals


class Resumption(Construct):
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
        self.dead_letters = dead_letter_queue(self, "ResumeDeadLetters")
        self.function = GuardFunction(
            self,
            "Resume",
            package=package,
            handler=constants.RESUME_HANDLER,
            description="End the workflow's waits on SageMaker's state-change events and on a schedule",
            # The reconciler Describes each registered wait's notebook (a handful at a time).
            timeout_seconds=120,
            environment=environment,
            grants=[grant_of(principals.RESUME, names)],
            log_retention=log_retention,
            dead_letter_queue=self.dead_letters,
        )
        target = event_target(self.function, self.dead_letters)
        self.state_change_rule = events.Rule(
            self,
            "WaitEvents",
            description="SageMaker notebook instance state change, every status: may end a wait of the workflow",
            event_pattern=events.EventPattern(
                source=WAIT_EVENTS_PATTERN["source"], detail_type=WAIT_EVENTS_PATTERN["detail-type"]
            ),
            targets=[target],
        )
        self.schedule_rule = events.Rule(
            self,
            "ReconcileSchedule",
            description="Resolve the workflow's registered waits whose events were lost",
            schedule=events.Schedule.expression(settings.reconcile_schedule),
            targets=[target],
        )

"""The notebook-guard stack: wires one construct per concern. Deployable per region, offline-synthesizable."""

from __future__ import annotations

from dataclasses import replace

from aws_cdk import App, CfnOutput, Stack, Tags, Validations
from aws_cdk import aws_logs as logs
from cdk_nag import AwsSolutionsChecks
from constructs import Construct

from infra import constants
from infra.advice import advise
from infra.constructs.alerting import Alerting
from infra.constructs.detection import Detection
from infra.constructs.functions import LambdaPackage
from infra.constructs.network import Network
from infra.constructs.prevention import PreventionPolicy
from infra.constructs.resumption import Resumption
from infra.constructs.security_hub import (
    ApprovalAction,
    CustomActions,
    acknowledge_custom_resource_provider,
    action_target_arn,
)
from infra.constructs.storage import Storage
from infra.constructs.trail import Trail
from infra.constructs.workflow import Workflow
from infra.environment import DeployedNames, lambda_environment
from infra.permissions import stack_names
from infra.settings import StackSettings

RETENTION = {
    1: logs.RetentionDays.ONE_DAY,
    3: logs.RetentionDays.THREE_DAYS,
    5: logs.RetentionDays.FIVE_DAYS,
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS,
    90: logs.RetentionDays.THREE_MONTHS,
    120: logs.RetentionDays.FOUR_MONTHS,
    150: logs.RetentionDays.FIVE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
    400: logs.RetentionDays.THIRTEEN_MONTHS,
    545: logs.RetentionDays.EIGHTEEN_MONTHS,
    731: logs.RetentionDays.TWO_YEARS,
    1096: logs.RetentionDays.THREE_YEARS,
    1827: logs.RetentionDays.FIVE_YEARS,
    2192: logs.RetentionDays.SIX_YEARS,
    2557: logs.RetentionDays.SEVEN_YEARS,
    2922: logs.RetentionDays.EIGHT_YEARS,
    3288: logs.RetentionDays.NINE_YEARS,
    3653: logs.RetentionDays.TEN_YEARS,
}


class NotebookGuardStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, settings: StackSettings, **kwargs) -> None:
        super().__init__(
            scope,
            construct_id,
            description="notebook-guard: keeps SageMaker notebook instances "
            "inside a private VPC (Security Hub SageMaker.2)",
            **kwargs,
        )
        self.settings = settings
        retention = RETENTION[settings.log_retention_days]
        Tags.of(self).add("notebook-guard:component", "remediator")

        self.storage = Storage(
            self,
            "Storage",
            break_glass_role_arn=settings.snapshot_break_glass_role_arn,
            backup_retention_days=settings.backup_retention_days,
        )
        self.alerting = Alerting(self, "Alerting", settings=settings)
        self.network = Network(self, "Network", settings=settings, log_retention=retention)
        if settings.trail_enabled:
            self.trail = Trail(self, "Trail", access_logs=self.storage.access_logs, log_retention=retention)

        package = LambdaPackage(self, "LambdaPackage", layer_version=settings.powertools_layer_version)
        custom_actions = settings.creates_custom_actions
        names = DeployedNames(
            alert_topic_arn=self.alerting.topic.topic_arn,
            snapshot_bucket=self.storage.snapshot_bucket.bucket_name,
            backup_bucket=self.storage.backup_bucket.bucket_name,
            backup_key_arn=self.storage.backup_key.key_arn,
            audit_table=self.storage.audit_table.table_name,
            coordination_table=self.storage.coordination_table.table_name,
            alert_dead_letter_queue_url=self.alerting.dead_letters.queue_url,
            target_subnet_ids=self.network.subnet_ids,
            target_security_group_ids=self.network.security_group_ids,
            created_subnet_ids=[] if settings.uses_existing_network else self.network.subnet_ids,
            approve_action_arn=action_target_arn(self, constants.APPROVE_ACTION_ID) if custom_actions else None,
            reject_action_arn=action_target_arn(self, constants.REJECT_ACTION_ID) if custom_actions else None,
        )
        created = names.created_subnet_ids if settings.approved_subnet_ids else []
        approved = [*settings.approved_subnet_ids, *created]
        resource_names = stack_names(
            snapshot_bucket_arn=self.storage.snapshot_bucket.bucket_arn,
            audit_table_arn=self.storage.audit_table.table_arn,
            coordination_table_arn=self.storage.coordination_table.table_arn,
            alert_topic_arn=self.alerting.topic.topic_arn,
            alert_key_arn=self.alerting.key.key_arn if self.alerting.key is not None else None,
            alert_dead_letter_queue_arn=self.alerting.dead_letters.queue_arn,
            target_subnet_ids=tuple(names.target_subnet_ids),
            target_security_group_ids=tuple(names.target_security_group_ids),
            approved_subnet_ids=tuple(approved),
            passrole_role_pattern=settings.passrole_role_pattern,
            backup_bucket_arn=self.storage.backup_bucket.bucket_arn,
            backup_key_arn=self.storage.backup_key.key_arn,
            finding_statuses=("NOTIFIED", "RESOLVED", *(("SUPPRESSED",) if settings.suppress_exempt_findings else ())),
            own_findings=settings.own_findings,
        )
        self.workflow = Workflow(
            self,
            "Workflow",
            package=package,
            environment=lambda_environment(settings, names),
            names=resource_names,
            log_retention=retention,
            extra_values={
                "AlertTopicArn": names.alert_topic_arn,
                "SnapshotBucketName": names.snapshot_bucket,
                "AuditTableName": names.audit_table,
            },
        )
        machine_arn = self.workflow.state_machine.state_machine_arn
        self.detection = Detection(
            self,
            "Detection",
            settings=settings,
            package=package,
            environment=lambda_environment(settings, names, state_machine_arn=machine_arn),
            names=replace(
                resource_names,
                state_machine_arn=machine_arn,
                remediation_executions_arn=self.workflow.executions_arn,
            ),
            log_retention=retention,
        )

        self.resumption = Resumption(
            self,
            "Resumption",
            settings=settings,
            package=package,
            environment=lambda_environment(settings, names, state_machine_arn=machine_arn),
            names=replace(resource_names, state_machine_arn=machine_arn),
            log_retention=retention,
        )
        self.custom_actions = (
            CustomActions(self, "CustomActions", names=resource_names, log_retention=retention)
            if custom_actions
            else None
        )
        self.approval_action = None
        if self.custom_actions is not None:
            self.approval_action = ApprovalAction(
                self,
                "ApprovalAction",
                package=package,
                environment=lambda_environment(settings, names, state_machine_arn=machine_arn),
                names=replace(resource_names, state_machine_arn=machine_arn),
                log_retention=retention,
                dead_letter_queue=self.detection.approval_dlq,
                approve_arn=self.custom_actions.approve_arn,
                reject_arn=self.custom_actions.reject_arn,
            )
            acknowledge_custom_resource_provider(self)

        self.alerting.watch_workflow(self.workflow.state_machine)
        for key, function in self.workflow.steps.items():
            self.alerting.watch_function(f"{key}Step", function.function)
        self.alerting.watch_function("Intake", self.detection.intake.function)
        self.alerting.watch_function("Sweep", self.detection.sweep.function)
        self.alerting.watch_dead_letters("Intake", self.detection.intake_dlq)
        self.alerting.watch_dead_letters("Sweep", self.detection.sweep_dlq)
        self.alerting.watch_function("Resume", self.resumption.function.function)
        self.alerting.watch_dead_letters("Resume", self.resumption.dead_letters)
        if self.approval_action is not None:
            self.alerting.watch_function("ApprovalAction", self.approval_action.function.function)
            self.alerting.watch_dead_letters("ApprovalAction", self.detection.approval_dlq)

        CfnOutput(self, "AlertTopicArn", value=names.alert_topic_arn)
        CfnOutput(self, "StateMachineArn", value=machine_arn)
        CfnOutput(self, "SnapshotBucketName", value=names.snapshot_bucket)
        CfnOutput(self, "BackupBucketName", value=names.backup_bucket)
        CfnOutput(self, "AuditTableName", value=names.audit_table)
        CfnOutput(self, "CoordinationTableName", value=names.coordination_table)
        CfnOutput(self, "AlertDeadLetterQueueUrl", value=names.alert_dead_letter_queue_url)
        CfnOutput(self, "FallbackTopicArn", value=self.alerting.fallback_topic.topic_arn)
        CfnOutput(self, "TargetSubnetIds", value=lambda_environment(settings, names)["NG_TARGET_SUBNET_IDS"])
        if settings.prevention_policy:
            self.prevention = PreventionPolicy(
                self, "Prevention", settings=settings, stack_subnet_ids=list(self.network.subnet_ids)
            )
            CfnOutput(
                self,
                "PreventionPolicyArn",
                value=self.prevention.policy.managed_policy_arn,
                description="Attach to the roles that create notebooks (the stack attaches it to none)",
            )


# CDK feature flags the stack relies on, whatever the context: server access logs are granted by a bucket policy
# (AWS's recommendation) instead of the legacy LogDeliveryWrite ACL (cfn-lint W3045).
FEATURE_FLAGS = {"@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy": True}


def build_app(context: dict | None = None, *, outdir: str | None = None) -> tuple[App, NotebookGuardStack]:
    """The CDK app: settings validated first (a bad one stops synth before any construct exists), then the
    stack, then cdk-nag over everything."""
    app = App(context={**FEATURE_FLAGS, **(context or {})}, outdir=outdir)
    settings = StackSettings.from_context(app.node.get_all_context())
    stack = NotebookGuardStack(app, constants.STACK_NAME, settings=settings)
    advise(stack, settings)
    Validations.of(app).add_plugins(AwsSolutionsChecks(app, verbose=True))
    return app, stack

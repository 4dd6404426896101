"""Security Hub and approvals: the two custom actions a person approves or rejects a remediation with, and the
function their events reach.

CloudFormation has no resource for a Security Hub custom action (``AWS::SecurityHub::ActionTarget`` does not
exist; aws-cloudformation/cloudformation-coverage-roadmap#427), so each is an ``AwsCustomResource`` calling
CreateActionTarget / DeleteActionTarget, with a policy rendered from the permission table. Its ARN is known in
advance (``arn:...:securityhub:REGION:ACCOUNT:action/custom/ID``), so nothing needs the custom resource's output.
Security Hub not enabled at deploy time (InvalidAccessException) does not fail the deployment: the actions are
then absent and the CLI remains the way to decide (redeploy once Security Hub is enabled).
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import ArnFormat, Duration, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from aws_cdk import custom_resources as cr
from constructs import Construct

from infra import constants
from infra.constructs.detection import event_target
from infra.constructs.functions import GuardFunction, LambdaPackage
from infra.nag import acknowledge
from infra.permissions import Names, grant_of
from notebook_guard.domain.approval import APPROVE_ACTION_NAME, REJECT_ACTION_NAME
from notebook_guard.permissions import principals


def action_target_arn(scope: Construct, action_id: str) -> str:
    return Stack.of(scope).format_arn(
        service="securityhub",
        resource="action",
        resource_name=f"custom/{action_id}",
        arn_format=ArnFormat.SLASH_RESOURCE_NAME,
    )


class CustomActions(Construct):
    """The approve and reject custom actions (created only when someone may have to approve)."""

    def __init__(self, scope: Construct, construct_id: str, *, names: Names, log_retention: logs.RetentionDays) -> None:
        super().__init__(scope, construct_id)
        self.approve_arn = action_target_arn(self, constants.APPROVE_ACTION_ID)
        self.reject_arn = action_target_arn(self, constants.REJECT_ACTION_ID)
        grant = grant_of(principals.ACTION_TARGETS, names)
        policy = cr.AwsCustomResourcePolicy.from_statements(list(grant.statements))
        self.log_group = logs.LogGroup(self, "Logs", retention=log_retention)
        for construct_id_, action_id, name, description, arn in (
            (
                "Approve",
                constants.APPROVE_ACTION_ID,
                APPROVE_ACTION_NAME,
                "notebook-guard: approve the remediation waiting for this notebook (stop, delete, recreate)",
                self.approve_arn,
            ),
            (
                "Reject",
                constants.REJECT_ACTION_ID,
                REJECT_ACTION_NAME,
                "notebook-guard: reject the remediation waiting for this notebook (it falls back, nothing deleted)",
                self.reject_arn,
            ),
        ):
            cr.AwsCustomResource(
                self,
                construct_id_,
                on_create=cr.AwsSdkCall(
                    service="SecurityHub",
                    action="createActionTarget",
                    parameters={"Id": action_id, "Name": name, "Description": description},
                    physical_resource_id=cr.PhysicalResourceId.of(action_id),
                    # Not enabled, or already there (a previous deployment): the deployment goes on.
                    ignore_error_codes_matching="InvalidAccessException|ResourceConflictException",
                ),
                on_delete=cr.AwsSdkCall(
                    service="SecurityHub",
                    action="deleteActionTarget",
                    parameters={"ActionTargetArn": arn},
                    ignore_error_codes_matching="InvalidAccessException|ResourceNotFoundException",
                ),
                policy=policy,
                install_latest_aws_sdk=False,  # deploys without reaching npm
                log_group=self.log_group,
                timeout=Duration.minutes(2),
            )


class ApprovalAction(Construct):
    """The function a custom action's event reaches: it answers the notebook's pending approval."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        package: LambdaPackage,
        environment: Mapping[str, str],
        names: Names,
        log_retention: logs.RetentionDays,
        dead_letter_queue: sqs.IQueue,
        approve_arn: str,
        reject_arn: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self.function = GuardFunction(
            self,
            "Function",
            package=package,
            handler=constants.APPROVAL_ACTION_HANDLER,
            description="Approve or reject a pending remediation from a Security Hub custom action",
            timeout_seconds=30,
            environment=environment,
            grants=[grant_of(principals.APPROVAL_ACTION, names)],
            log_retention=log_retention,
            dead_letter_queue=dead_letter_queue,
        )
        self.rule = events.Rule(
            self,
            "CustomAction",
            description="Security Hub custom actions 'Approve remediation' and 'Reject remediation'",
            event_pattern=events.EventPattern(
                source=["aws.securityhub"],
                detail_type=[constants.SECURITY_HUB_CUSTOM_ACTION_DETAIL_TYPE],
                resources=[approve_arn, reject_arn],
            ),
            targets=[event_target(self.function, dead_letter_queue)],
        )


def acknowledge_custom_resource_provider(stack: Stack) -> None:
    """cdk-nag's finding on the provider function CDK's AwsCustomResource brings (one per stack)."""
    provider = stack.node.try_find_child("AWS679f53fac002430cb0da5b7982bd2287")
    if provider is None:
        return
    acknowledge(
        provider,
        "AwsSolutions-IAM4",
        "CDK's AwsCustomResource provider function logs with AWSLambdaBasicExecutionRole; it runs only at deployment "
        "to create and delete the two Security Hub custom actions, and its other permissions are the table's.",
        finding="Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    )

"""One Lambda function as this project builds them: own role, own log group, shared code asset and layer."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from aws_cdk import Duration, Fn
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from infra import constants
from infra.nag import acknowledge, finding_text
from infra.permissions import Grant

# Only the package's runtime code: no tests, no caches, no egg-info, nothing the runtime (boto3) or the
# Powertools layer (powertools, pydantic, X-Ray SDK) already has. Later patterns win; "!" re-includes.
ASSET_EXCLUDE = [
    "*",
    f"!{constants.LAMBDA_PACKAGE}",
    f"!{constants.LAMBDA_PACKAGE}/**",
    "**/__pycache__",
    "**/*.pyc",
    "**/tests",
    "**/.pytest_cache",
]

RUNTIME = lambda_.Runtime.PYTHON_3_12
ARCHITECTURE = lambda_.Architecture.ARM_64


def powertools_layer_arn(version: int) -> str:
    """A pinned version of the layer AWS publishes for this region, runtime and architecture."""
    return Fn.sub(
        f"arn:${{AWS::Partition}}:lambda:${{AWS::Region}}:{constants.POWERTOOLS_LAYER_ACCOUNT}:layer:"
        f"{constants.POWERTOOLS_LAYER_NAME}:{version}"
    )


class LambdaPackage(Construct):
    """The code asset (built without Docker: plain files) and the Powertools layer all functions share.

    The layer is the one AWS publishes for the runtime and architecture, resolved at deploy time from AWS's
    public SSM parameter (a CloudFormation parameter of type ``AWS::SSM::Parameter::Value<String>``: synth stays
    offline, no context lookup), unless ``layer_version`` pins one.
    """

    def __init__(self, scope: Construct, construct_id: str, *, layer_version: int | None = None) -> None:
        super().__init__(scope, construct_id)
        self.code = lambda_.Code.from_asset(str(constants.LAMBDA_SOURCE_DIR), exclude=ASSET_EXCLUDE)
        arn = (
            powertools_layer_arn(layer_version)
            if layer_version is not None
            else ssm.StringParameter.value_for_string_parameter(self, constants.POWERTOOLS_SSM_PARAMETER)
        )
        self.layer = lambda_.LayerVersion.from_layer_version_arn(self, "PowertoolsLayer", arn)


class GuardFunction(Construct):
    """A function with a role of its own, a log group with retention, JSON logs, X-Ray tracing, arm64 and the
    Python runtime the Powertools layer is built for. Its AWS permissions are added once with ``grant`` (the
    policy ``notebook_guard.permissions`` renders for it), after the roles it may refer to exist."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        package: LambdaPackage,
        handler: str,
        description: str,
        timeout_seconds: int,
        environment: Mapping[str, str],
        log_retention: logs.RetentionDays,
        grants: Iterable[Grant] = (),
        memory_size: int = 256,
        dead_letter_queue: sqs.IQueue | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.log_group = logs.LogGroup(self, "Logs", retention=log_retention)
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"notebook-guard {construct_id}: {description}"[:1000],
        )
        # Instead of the AWSLambdaBasicExecutionRole managed policy (any log group): this function's group only.
        self.log_group.grant_write(self.role)
        self._granted = False

        self.function = lambda_.Function(
            self,
            "Function",
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            handler=handler,
            code=package.code,
            layers=[package.layer],
            role=self.role,
            description=description[:256],
            timeout=Duration.seconds(timeout_seconds),
            memory_size=memory_size,
            tracing=lambda_.Tracing.ACTIVE,
            logging_format=lambda_.LoggingFormat.JSON,
            log_group=self.log_group,
            environment={
                "POWERTOOLS_SERVICE_NAME": constants.SERVICE_NAME,
                "POWERTOOLS_METRICS_NAMESPACE": constants.METRICS,
                **environment,
            },
            dead_letter_queue=dead_letter_queue,
            # Asynchronous invocations (EventBridge): Lambda retries twice, then the event goes to the DLQ.
            retry_attempts=2 if dead_letter_queue else None,
            max_event_age=Duration.hours(constants.EVENT_MAX_AGE_HOURS) if dead_letter_queue else None,
        )

        grants = list(grants)
        if grants:
            self.grant(*grants)
        acknowledge(
            self.function,
            "AwsSolutions-L1",
            f"Python {constants.PYTHON_VERSION} is pinned to match the Powertools layer "
            f"({constants.POWERTOOLS_LAYER_NAME}), which ships compiled wheels per Python version; bump both together.",
        )

    def grant(self, *grants: Grant) -> None:
        """Add the function's AWS permissions (once), with a cdk-nag acknowledgement per wildcard finding."""
        if self._granted:
            raise ValueError(f"{self.node.path}: permissions are granted once, from the permission table")
        self._granted = True
        reasons: dict[str, list[str]] = {}
        for grant in grants:
            for statement in grant.statements:
                self.role.add_to_policy(statement)
            for finding, reason in grant.wildcard_reasons.items():
                reasons.setdefault(finding, []).append(reason)
        reasons.setdefault("Resource::*", []).append(
            "X-Ray tracing (xray:PutTraceSegments, xray:PutTelemetryRecords) does not support resource-level "
            "permissions."
        )
        for finding, texts in reasons.items():
            reason = " ".join(dict.fromkeys(texts))
            acknowledge(self.role, "AwsSolutions-IAM5", reason, finding=finding_text(self, finding))

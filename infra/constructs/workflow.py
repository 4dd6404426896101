"""The remediation workflow: one function and one role per step of ``workflow_steps.STEPS``, and the state
machine defined by the ASL file, with every ``${...}`` substituted."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import replace

from aws_cdk import Annotations, ArnFormat, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra import constants
from infra.constructs.functions import GuardFunction, LambdaPackage
from infra.environment import step_roles_variable
from infra.nag import acknowledge
from infra.permissions import Names, grant_of
from notebook_guard import workflow_steps
from notebook_guard.permissions import principals

PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_]+)\}")


class WorkflowContractError(ValueError):
    """The ASL file, ``STEPS`` and the stack disagree; the message says how."""


def asl_path():
    return constants.REPO_ROOT / workflow_steps.ASL_PATH


def extra_substitutions() -> dict[str, str]:
    """The optional ``EXTRA_SUBSTITUTIONS`` of the workflow contract: name -> meaning."""
    return dict(getattr(workflow_steps, "EXTRA_SUBSTITUTIONS", {}) or {})


class Workflow(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        package: LambdaPackage,
        environment: Mapping[str, str],
        names: Names,
        log_retention: logs.RetentionDays,
        extra_values: Mapping[str, str],
    ) -> None:
        super().__init__(scope, construct_id)
        self.steps: dict[str, GuardFunction] = {}
        for step in workflow_steps.STEPS:
            self.steps[step.key] = GuardFunction(
                self,
                f"{step.key}Step",
                package=package,
                handler=step.handler,
                description=step.description,
                timeout_seconds=step.timeout_seconds,
                environment=environment,
                log_retention=log_retention,
            )
        # The state machine has a fixed name, so its executions' ARNs are known without referencing it: the Lease
        # step may read whether a lease's holder still runs (DescribeExecution) although the machine's definition
        # references the step functions (a token would make a dependency cycle).
        self.state_machine_name = f"{Stack.of(self).stack_name}-remediation"
        self.executions_arn = Stack.of(self).format_arn(
            service="states",
            resource="execution",
            resource_name=f"{self.state_machine_name}:*",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        # The roles exist before any grant: the Preflight simulates the policies of the steps that act, so its
        # own grant (iam:SimulatePrincipalPolicy) and environment name exactly those roles.
        # The same for the state machine's own ARN: the Await step answers its own task (SendTaskSuccess), which
        # AWS authorizes against the task's state machine.
        self.state_machine_arn_by_name = Stack.of(self).format_arn(
            service="states",
            resource="stateMachine",
            resource_name=self.state_machine_name,
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        acting = {key: self.steps[key].role.role_arn for key in principals.SIMULATED_STEPS}
        names = replace(
            names,
            step_role_arns=tuple(acting.values()),
            remediation_executions_arn=self.executions_arn,
            state_machine_arn=self.state_machine_arn_by_name,
        )
        for principal in principals.step_principals():
            self.steps[principal.name].grant(grant_of(principal, names))
        # The Preflight simulates those roles; the Backup step names its own as the retiring principal of its grants.
        for name, value in step_roles_variable(acting).items():
            self.steps["Preflight"].function.add_environment(name, value)
            self.steps["Backup"].function.add_environment(name, value)

        definition = asl_path().read_text(encoding="utf-8")
        json.loads(definition)  # a malformed file fails synth here, not at deploy
        self.substitutions = self._substitutions(definition, extra_values)

        self.log_group = logs.LogGroup(
            self, "ExecutionLogs", retention=log_retention, removal_policy=RemovalPolicy.RETAIN
        )
        self.state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            state_machine_name=self.state_machine_name,
            state_machine_type=sfn.StateMachineType.STANDARD,
            # Inline (not an S3 asset): the template shows the exact definition that runs.
            definition_body=sfn.DefinitionBody.from_string(definition),
            definition_substitutions=self.substitutions,
            logs=sfn.LogOptions(destination=self.log_group, level=sfn.LogLevel.ALL, include_execution_data=True),
            tracing_enabled=True,
            comment="notebook-guard: snapshot, stop, delete and recreate a notebook instance in a private subnet",
        )
        # The definition comes from a file, so CDK cannot see which functions it calls: grant exactly the steps.
        self.state_machine.add_to_role_policy(
            iam.PolicyStatement(
                actions=["lambda:InvokeFunction"],
                resources=[fn.function.function_arn for fn in self.steps.values()],
            )
        )
        acknowledge(
            self.state_machine.role,
            "AwsSolutions-IAM5",
            "CloudWatch Logs vended-log delivery (logs:CreateLogDelivery, logs:*LogDelivery*, logs:PutResourcePolicy, "
            "logs:DescribeResourcePolicies, logs:DescribeLogGroups) and X-Ray (xray:PutTraceSegments, "
            "xray:PutTelemetryRecords, xray:GetSampling*) do not support resource-level permissions; Step Functions "
            "needs them for logging and tracing.",
            finding="Resource::*",
        )

    def _substitutions(self, definition: str, extra_values: Mapping[str, str]) -> dict[str, str]:
        substitutions = {
            workflow_steps.substitution_key(step): self.steps[step.key].function.function_arn
            for step in workflow_steps.STEPS
        }
        extras = extra_substitutions()
        unknown = sorted(set(extras) - set(extra_values))
        if unknown:
            raise WorkflowContractError(
                "the workflow asks for substitution(s) the stack does not provide: "
                + "; ".join(f"{name} ({extras[name]})" for name in unknown)
                + f". Provide: {', '.join(sorted(extra_values))}, or add the value in infra/stack.py"
            )
        substitutions.update({name: extra_values[name] for name in extras})
        used = set(PLACEHOLDER.findall(definition))
        missing = sorted(used - set(substitutions))
        if missing:
            raise WorkflowContractError(
                f"{workflow_steps.ASL_PATH} uses ${{{'}, ${'.join(missing)}}} with no value: "
                "name the step in workflow_steps.STEPS or the value in EXTRA_SUBSTITUTIONS"
            )
        unused = sorted(set(substitutions) - used)
        if unused:
            Annotations.of(self).add_info(f"steps not called by the state machine: {', '.join(unused)}")
        # Only what the definition uses: the deployed substitutions are exactly the file's placeholders.
        return {name: value for name, value in substitutions.items() if name in used}

"""The preventive policy (``prevention_policy=true``): a customer managed policy that denies, at the API, the
notebook requests notebook-guard would otherwise remediate, for the notebooks of this stack's region.

Rendered by ``notebook_guard.permissions.prevention`` from the stack's own settings (the same code behind
``notebook-guard prevent``). The stack attaches it to no role, user or group: it is meant for the roles of the
people who create notebooks, which the stack does not own. Its ARN is a stack output.
"""

from __future__ import annotations

from aws_cdk import Aws
from aws_cdk import aws_iam as iam
from constructs import Construct

from infra.settings import StackSettings
from notebook_guard.permissions.prevention import MANAGED_POLICY, PreventionInputs, PreventivePolicy, generate

DESCRIPTION = (
    "notebook-guard: denies creating SageMaker notebook instances without a subnet, outside the approved subnets, "
    "with direct internet access or root access (as the stack's settings say), in this region. Attach it to the "
    "roles that create notebooks; notebook-guard remediates what it cannot see."
)


class PreventionPolicy(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, settings: StackSettings, stack_subnet_ids: list[str]
    ) -> None:
        super().__init__(scope, construct_id)
        inputs = PreventionInputs.from_context(
            settings.model_dump(),
            # The subnets of the VPC the stack creates are approved too when an approved list is set.
            stack_subnet_ids=() if settings.uses_existing_network else tuple(stack_subnet_ids),
            region=Aws.REGION,
            partition=Aws.PARTITION,
            account=Aws.ACCOUNT_ID,
        )
        self.rendered: PreventivePolicy = generate(MANAGED_POLICY, inputs)
        self.policy = iam.ManagedPolicy(
            self,
            "Policy",
            description=DESCRIPTION,
            document=iam.PolicyDocument.from_json(self.rendered.document),
        )

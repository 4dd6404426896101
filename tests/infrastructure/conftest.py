"""CDK tests: each configuration is synthesized once per test process (session scope), since jsii is slow."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

EXISTING_NETWORK = {
    "target_subnet_ids": "subnet-0123456789abcdef0,subnet-0fedcba9876543210",
    "target_security_group_ids": "sg-0123456789abcdef0",
    "create_endpoints": "true",
    "target_vpc_id": "vpc-0123456789abcdef0",
    "target_route_table_ids": "rtb-0123456789abcdef0",
    "alert_topic_arn": "arn:aws:sns:eu-west-1:123456789012:security-alerts",
    "trail_enabled": "true",
    "sweep_schedule": "cron(0 6 * * ? *)",
    "passrole_role_pattern": "service-role/SageMaker-*",
    # Approvals and Security Hub with every option on: custom actions, suppressed exempt findings, own findings.
    "approval": "existing-notebooks",
    "approval_timeout_hours": "48",
    "approval_fallback": "quarantine",
    "suppress_exempt_findings": "true",
    "own_findings": "true",
    "finding_action": "quarantine",
    "prevention_policy": "true",
    "prevention_exempt_role_arns": "arn:aws:iam::123456789012:role/BreakGlass",
}


class Synthesized:
    def __init__(self, context: dict, outdir: str) -> None:
        from aws_cdk.assertions import Template

        from infra.stack import build_app

        self.app, self.stack = build_app(context, outdir=outdir)
        self.template = Template.from_stack(self.stack)
        self.json = self.template.to_json()

    def logical_id(self, construct) -> str:
        return self.stack.get_logical_id(construct.node.default_child)

    def resources(self, kind: str) -> dict:
        return {k: v for k, v in self.json["Resources"].items() if v["Type"] == kind}


@pytest.fixture(scope="session")
def default_stack(tmp_path_factory) -> Synthesized:
    return Synthesized({}, str(tmp_path_factory.mktemp("default")))


@pytest.fixture(scope="session")
def existing_stack(tmp_path_factory) -> Synthesized:
    return Synthesized(dict(EXISTING_NETWORK), str(tmp_path_factory.mktemp("existing")))


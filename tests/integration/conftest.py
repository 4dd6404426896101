"""moto-backed account for the detection tests: notebooks, an alert topic captured by a queue, a workflow."""

from __future__ import annotations

import io
import json
from functools import cached_property

import boto3
import pytest
from moto import mock_aws

from notebook_guard.aws import clients
from tests.conftest import ACCOUNT, REGION

ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/SageMakerExecution"
WRITE_PREFIXES = ("Create", "Delete", "Stop", "Start", "Update", "Put", "Publish", "Send", "Add", "Tag")


class Account:
    """A simulated account and the handles a test needs to observe it."""

    def __init__(self):
        self.sagemaker = boto3.client("sagemaker", region_name=REGION)
        self.sns = boto3.client("sns", region_name=REGION)
        self.sqs = boto3.client("sqs", region_name=REGION)
        self.sfn = boto3.client("stepfunctions", region_name=REGION)
        self.topic_arn = self.sns.create_topic(Name="notebook-guard-alerts")["TopicArn"]
        queue_url = self.sqs.create_queue(QueueName="alerts-inbox")["QueueUrl"]
        queue_arn = self.sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        self.sns.subscribe(TopicArn=self.topic_arn, Protocol="sqs", Endpoint=queue_arn)
        self.queue_url = queue_url
        # The coordination table the stack gives the intake and the sweep (one lease per notebook).
        from notebook_guard_local.world import build_coordination_table

        self.coordination_table = build_coordination_table("notebook-guard-coordination", REGION)

    @cached_property
    def _network(self) -> tuple[str, str]:
        # Created on first use: moto's EC2 backend is slow to start and most tests do not need it.
        ec2 = boto3.client("ec2", region_name=REGION)
        vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.1.0/24")["Subnet"]["SubnetId"]
        sg = ec2.create_security_group(GroupName="notebooks", Description="notebooks", VpcId=vpc)["GroupId"]
        return subnet, sg

    @property
    def subnet_id(self) -> str:
        return self._network[0]

    @property
    def sg_id(self) -> str:
        return self._network[1]

    def create_notebook(self, name: str, *, in_vpc: bool = False, root: str = "Disabled", tags: dict | None = None):
        request = {
            "NotebookInstanceName": name,
            "InstanceType": "ml.t3.medium",
            "RoleArn": ROLE_ARN,
            "RootAccess": root,
            "Tags": [{"Key": k, "Value": v} for k, v in (tags or {}).items()],
        }
        if in_vpc:
            request |= {
                "SubnetId": self.subnet_id,
                "SecurityGroupIds": [self.sg_id],
                "DirectInternetAccess": "Disabled",
            }
        return self.sagemaker.create_notebook_instance(**request)["NotebookInstanceArn"]

    def create_state_machine(self) -> str:
        definition = {"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}
        return self.sfn.create_state_machine(
            name="notebook-guard-remediation",
            definition=json.dumps(definition),
            roleArn=f"arn:aws:iam::{ACCOUNT}:role/sfn",
        )["stateMachineArn"]

    def alerts(self) -> list[dict]:
        """Every SNS alert delivered so far: {"subject", "body"}."""
        received = []
        while True:
            messages = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get("Messages", [])
            if not messages:
                return received
            for message in messages:
                envelope = json.loads(message["Body"])
                received.append({"subject": envelope.get("Subject"), "body": envelope["Message"]})
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])


@pytest.fixture(autouse=True)
def enforced(monkeypatch):
    """The intake, the sweep and the CLI commands run as their roles, with the policies the stack generates for
    them: a call their policy does not allow fails as in AWS (the test's own setup calls are not checked)."""
    from notebook_guard.handlers import intake, sweep
    from notebook_guard_local.commands import common
    from notebook_guard_local.fake.enforcement import Enforcement
    from notebook_guard_local.fake.iam_simulation import SimulatePrincipalPolicy
    from notebook_guard_local.roles import as_cli_command, as_intake, as_sweep

    monkeypatch.setattr(intake, "process", as_intake(intake.process))
    monkeypatch.setattr(sweep, "run_sweep", as_sweep(sweep.run_sweep))
    monkeypatch.setattr(common, "run_guarded", as_cli_command(common.run_guarded))
    with Enforcement() as enforcement, SimulatePrincipalPolicy():
        clients.reset()
        yield enforcement


@pytest.fixture
def account():
    with mock_aws():
        clients.reset()
        yield Account()


@pytest.fixture
def configure(monkeypatch, account):
    """Set the Lambda environment for one test (the settings are re-read); the coordination table is the stack's."""
    from notebook_guard.settings import get_settings

    def apply(**variables):
        variables.setdefault("NG_COORDINATION_TABLE", account.coordination_table)
        for key, value in variables.items():
            monkeypatch.setenv(key, value)
        get_settings.cache_clear()
        return get_settings()

    return apply


@pytest.fixture
def api_calls():
    """Every API call made through notebook_guard's clients, as (service, operation)."""
    calls: list[tuple[str, str]] = []

    def record(model, **_):
        calls.append((model.service_model.service_name, model.name))

    clients.reset()
    clients.session().events.register("before-call", record)
    return calls


@pytest.fixture
def log_lines(monkeypatch):
    """The structured log lines the Powertools logger writes, parsed."""
    from notebook_guard.handlers.observability import logger

    stream = io.StringIO()
    monkeypatch.setattr(logger.registered_handler, "stream", stream)
    level = logger.log_level
    logger.setLevel("INFO")  # the level the stack deploys, whatever an earlier test of this process left
    yield lambda: [json.loads(line) for line in stream.getvalue().split("\n") if line.startswith("{")]
    logger.setLevel(level)


def write_calls(calls):
    return [c for c in calls if c[1].startswith(WRITE_PREFIXES)]

"""The remediation workflow on an in-process moto account: the real ASL file, the step Lambdas run in-process,
notebooks behaving as AWS documents (the faithful fake), Wait states on a virtual clock, and the waits driven by
SageMaker's state-change events as in AWS: the fake emits them, moto's EventBridge routes them (the stack's rule)
to a queue that feeds the resume function, and the reconciler runs every 5 simulated minutes; the callback tasks
behave as AWS documents (``fake.callbacks``). ``harness.events.restart(drop=1.0, ...)`` loses events,
duplicates, delays or reorders them, or crashes the resume function; the polling loops are the fallback.

Shared by the workflow tests (``tests/workflow``) and the bench's transition count.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from moto import mock_aws
from moto.sns.models import sns_backends

from notebook_guard.aws import clients
from notebook_guard.domain.alerts import parse_alert_body
from notebook_guard_local.fake import FakeNotebooks, Faults
from notebook_guard_local.fake.callbacks import FaithfulCallbacks
from notebook_guard_local.fake.clock import VirtualClock
from notebook_guard_local.fake.enforcement import Enforcement
from notebook_guard_local.fake.events import Delivery, StateChangeEvents
from notebook_guard_local.fake.iam_simulation import SimulatePrincipalPolicy
from notebook_guard_local.fake.notebooks import Timeline
from notebook_guard_local.fake.securityhub import FakeSecurityHub
from notebook_guard_local.observability import discarded_metrics
from notebook_guard_local.offline import FAKE_ACCESS_KEY
from notebook_guard_local.roles import RESUME_ROLE, deploy_detection_roles, deploy_workflow_roles
from notebook_guard_local.workflow_runner import (
    MOTO_CONFIG,
    LambdaSeam,
    WorkflowRunner,
    fast_client_retries,
    parse_definitions_once,
    shared_service_models,
    zero_time,
)
from notebook_guard_local.world import World, build_audit_table, build_coordination_table, build_world

ACCOUNT = "123456789012"  # moto's default account
REGION = "us-east-1"

ZERO_WAITS = {"first_seconds": 0, "max_polls": 12}


@dataclass
class Harness:
    world: World
    runner: WorkflowRunner
    fake: FakeNotebooks
    faults: Faults
    seam: LambdaSeam
    enforcement: Enforcement
    events: StateChangeEvents
    hub: FakeSecurityHub
    callbacks: FaithfulCallbacks
    _earlier_executions: frozenset[str] = frozenset()

    @property
    def clock(self) -> VirtualClock:
        """The virtual clock Wait states, retries, notebook transitions and task-token timeouts run on."""
        return self.fake.clock

    @property
    def sagemaker(self):
        return clients.client("sagemaker", REGION)

    @property
    def backend(self):
        from moto.sagemaker.models import sagemaker_backends

        return sagemaker_backends[ACCOUNT][REGION]

    def create_notebook(self, name: str = "analysis", status: str = "InService", **extra) -> dict:
        """A notebook outside any VPC, brought to ``status`` (Pending: still being created)."""
        request = {"NotebookInstanceName": name, "InstanceType": "ml.t3.medium", "RoleArn": self.world.role_arn}
        request.update(extra)
        self.sagemaker.create_notebook_instance(**request)
        if status == "Pending":
            return self.describe(name, advance=False)
        self.fake.set_status(self.backend, name, status)
        return self.describe(name, advance=False)

    def describe(self, name: str, advance: bool = True) -> dict | None:
        notebook = self.backend.notebook_instances.get(name)
        if notebook is None:
            return None
        if advance:
            return self.sagemaker.describe_notebook_instance(NotebookInstanceName=name)
        return {
            "NotebookInstanceArn": notebook.arn,
            "NotebookInstanceStatus": notebook.status,
            "CreationTime": notebook.creation_time,
        }

    def exists(self, name: str) -> bool:
        return name in self.backend.notebook_instances

    def run(self, name: str = "analysis", action: str | None = "remediate", trigger: str = "create", **extra):
        return self.runner.wait(self.start(name, action, trigger, **extra))

    def start(self, name: str = "analysis", action: str | None = "remediate", trigger: str = "create", **extra) -> str:
        """Start an execution (as ``run`` does) without waiting for it; returns its ARN."""
        self.faults.calls.clear()
        notebook = self.backend.notebook_instances.get(name)
        payload = {
            "notebook_name": name,
            "notebook_arn": notebook.arn
            if notebook
            else f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:notebook-instance/{name}",
            "trigger": trigger,
            "action": action,
            "source": {},
            "waits": ZERO_WAITS,
            **extra,
        }
        return self.runner.start(payload)

    def pending_approval(self, execution_arn: str, timeout: float = 30.0):
        """The approval the execution waits for, once its Approval step has stored it. Read from moto's table
        directly, so that polling makes no API call a test could attribute to a step."""
        import time

        from moto.dynamodb.models import dynamodb_backends
        from moto.dynamodb.models.dynamo_type import DynamoType

        from notebook_guard.services.approvals import PendingApproval, approval_key

        table = dynamodb_backends[ACCOUNT][REGION].get_table(self.world.coordination_table)
        key = approval_key(execution_arn)
        deadline = time.monotonic() + timeout
        while True:
            item = table.get_item(*(DynamoType({"S": value}) for value in key.values()))
            if item is not None and "token" in item.attrs:
                values = {name: value.cast_value for name, value in item.attrs.items()}
                return PendingApproval(
                    execution_id=values["execution_id"],
                    notebook_name=values["notebook_name"],
                    notebook_arn=values["notebook_arn"],
                    action=values["action"],
                    requested_at=int(values["requested_at"]),
                    timeout_at=int(values["timeout_at"]),
                    token=values["token"],
                )
            if time.monotonic() > deadline:
                raise TimeoutError(f"no approval stored for {execution_arn} after {timeout} s")
            time.sleep(0.02)

    def state_change_event(self, name: str, status: str | None = None) -> dict:
        """The native state-change event SageMaker sends for the notebook as it is now (``status`` overrides)."""
        from notebook_guard_local.demo.events import state_change_event

        described = self.sagemaker.describe_notebook_instance(NotebookInstanceName=name)
        if status:
            described["NotebookInstanceStatus"] = status
        listed = self.sagemaker.list_tags(ResourceArn=described["NotebookInstanceArn"])["Tags"]
        tags = {t["Key"]: t["Value"] for t in listed}
        return state_change_event(described, tags, ACCOUNT, REGION)

    def intake(self, event: dict) -> dict:
        """The intake handler, as EventBridge invokes it, with the stack's settings."""
        from notebook_guard.handlers import intake
        from notebook_guard.settings import get_settings

        get_settings.cache_clear()
        return intake.process(event, ACCOUNT)

    def redeploy_roles(self) -> None:
        """Render the step roles again from the settings in this process's environment, as redeploying the stack
        with changed settings (a new target subnet, say) would."""
        import os

        from notebook_guard.settings import get_settings

        deploy_workflow_roles(os.environ, REGION, state_machine_arn=self.runner.state_machine_arn)
        deploy_detection_roles(os.environ, REGION, state_machine_arn=self.runner.state_machine_arn)
        get_settings.cache_clear()  # the functions read the new settings from here on

    def reset(self) -> None:
        """Forget every notebook, alert, audit record and snapshot; keep the network, functions and state machine."""
        # A test may have redeployed them with other settings.
        deploy_workflow_roles(self.runner.environment, REGION, state_machine_arn=self.runner.state_machine_arn)
        deploy_detection_roles(self.runner.environment, REGION, state_machine_arn=self.runner.state_machine_arn)
        self.backend.notebook_instances.clear()
        self.backend.notebook_instance_lifecycle_configurations.clear()
        fake = self.fake
        for state in (fake._transitions, fake._extras, fake._create_failures, fake._stuck, fake.code_repositories):
            state.clear()
        self.enforcement.denials.clear()
        fake.short_zones.clear()
        fake.history.clear()
        fake.timeline = Timeline()
        fake.clock.clear()  # transitions and deliveries of the last test
        self.events.restart(**vars(Delivery()))
        self.faults.clear()
        self.faults.calls.clear()
        self.seam.clear_hooks()
        self.hub.reset()
        self._earlier_executions = {e["executionArn"] for e in self._all_executions()}
        sns_backends[ACCOUNT][REGION].topics[self.world.topic_arn].sent_notifications.clear()
        dynamodb = clients.client("dynamodb", REGION)
        dynamodb.delete_table(TableName=self.world.table)
        build_audit_table(self.world.table, REGION)
        dynamodb.delete_table(TableName=self.world.coordination_table)
        build_coordination_table(self.world.coordination_table, REGION)
        sqs, queue = clients.client("sqs", REGION), self.world.alert_dead_letter_queue_url
        # Drained, not purged: SQS allows one PurgeQueue a minute.
        while messages := sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages"):
            for message in messages:
                sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
        s3 = clients.client("s3", REGION)
        for item in s3.list_objects_v2(Bucket=self.world.bucket).get("Contents", []):
            s3.delete_object(Bucket=self.world.bucket, Key=item["Key"])
        self.reset_backups()

    def reset_backups(self) -> None:
        """Empty the backup bucket, give it back the stack's policy, drop the grants on its key and the volumes."""
        from moto.kms.models import kms_backends
        from moto.s3.models import s3_backends

        from notebook_guard_local.world import backup_bucket_policy

        bucket = s3_backends[ACCOUNT]["aws"].buckets[self.world.backup_bucket]
        bucket.keys.clear()
        clients.client("s3", REGION).put_bucket_policy(
            Bucket=self.world.backup_bucket, Policy=backup_bucket_policy(self.world.backup_bucket)
        )
        kms_backends[ACCOUNT][REGION].describe_key(self.world.backup_key_arn).grants.clear()
        self.fake.lifecycle.reset()

    def volume(self, name: str = "analysis"):
        """The notebook's simulated storage volume (fake/lifecycle.py)."""
        return self.fake.lifecycle.volume(name)

    def backups(self, name: str = "analysis") -> dict[str, bytes]:
        """Every object of the backup bucket under the notebook's backups (key -> bytes, current versions)."""
        from moto.s3.models import s3_backends

        bucket = s3_backends[ACCOUNT]["aws"].buckets[self.world.backup_bucket]
        return {key: bucket.keys[key].value for key in bucket.keys if key.startswith(f"backups/{name}/")}

    def bucket_policy(self) -> dict:
        return json.loads(clients.client("s3", REGION).get_bucket_policy(Bucket=self.world.backup_bucket)["Policy"])

    def runner_executions(self) -> list[dict]:
        """Executions since the last reset (the state machine is shared by the module's tests)."""
        return [e for e in self._all_executions() if e["executionArn"] not in self._earlier_executions]

    def _all_executions(self) -> list[dict]:
        sfn = clients.client("stepfunctions", REGION)
        return sfn.list_executions(stateMachineArn=self.runner.state_machine_arn, maxResults=1000)["executions"]

    def alerts(self) -> list[dict]:
        topic = sns_backends[ACCOUNT][REGION].topics[self.world.topic_arn]
        return [parse_alert_body(n[1]) for n in topic.sent_notifications]

    def audit(self, name: str = "analysis") -> list[dict]:
        items = clients.client("dynamodb", REGION).query(
            TableName=self.world.table,
            KeyConditionExpression="notebook_name = :n",
            ExpressionAttributeValues={":n": {"S": name}},
        )["Items"]
        return [json.loads(i["record"]["S"]) for i in items]

    def lease(self, name: str = "analysis") -> dict | None:
        """The notebook's lease item as stored (None: never leased)."""
        from notebook_guard.aws import dynamodb
        from notebook_guard.services.coordination import LEASE, notebook_key

        arn = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:notebook-instance/{name}"
        return dynamodb.get_item(self.world.coordination_table, notebook_key(arn, LEASE), REGION)

    def dead_letters(self) -> list[dict]:
        """The alerts parked in the alert dead-letter queue (received, not deleted)."""
        sqs = clients.client("sqs", REGION)
        messages = sqs.receive_message(
            QueueUrl=self.world.alert_dead_letter_queue_url, MaxNumberOfMessages=10, VisibilityTimeout=0
        ).get("Messages", [])
        return [json.loads(m["Body"]) for m in messages]

    def snapshots(self, name: str = "analysis") -> list[dict]:
        s3 = clients.client("s3", REGION)
        listed = s3.list_objects_v2(Bucket=self.world.bucket, Prefix=f"snapshots/{name}/").get("Contents", [])
        return [json.loads(s3.get_object(Bucket=self.world.bucket, Key=o["Key"])["Body"].read()) for o in listed]


@contextmanager
def harness_context(polling_only: bool = False):
    """``polling_only``: the state machine without its callback waits (the bench's baseline)."""
    clock = VirtualClock()
    with (
        shared_service_models(),
        mock_aws(config=MOTO_CONFIG),
        # Entered after mock_aws, so undone before it: mock_aws restores the environment as it found it.
        pytest.MonkeyPatch.context() as monkeypatch,
        zero_time(clock) as clock,
        parse_definitions_once(),
        fast_client_retries(),
        Faults(services=("sagemaker", "s3", "dynamodb", "ec2", "iam", "kms", "sns", "securityhub")) as faults,
        FakeNotebooks(clock=clock) as fake,
        # Every step's call is checked against its role's generated policy (enforcement is on in the harness).
        Enforcement(fake=fake) as enforcement,
        # Security Hub as AWS documents it (enabled), and callback tasks timed on the virtual clock.
        FakeSecurityHub() as hub,
        FaithfulCallbacks(clock) as callbacks,
        SimulatePrincipalPolicy(),
        LambdaSeam() as seam,
        discarded_metrics(),
    ):
        # mock_aws swaps in its own fake keys; keep the suite's (also fake) ones so tests/conftest.py's
        # safety check holds for a module-scoped harness too.
        monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)  # in-process moto, whatever the caller points at
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", FAKE_ACCESS_KEY)
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", FAKE_ACCESS_KEY)
        clients.reset()
        world = build_world(REGION)
        runner = WorkflowRunner(world.environment(), REGION)
        for key, value in runner.environment.items():
            monkeypatch.setenv(key, value)
        runner.deploy(polling_only=polling_only)
        # What the intake and the sweep get besides the steps' settings (tests start executions through them).
        monkeypatch.setenv("NG_STATE_MACHINE_ARN", runner.state_machine_arn)
        deploy_detection_roles(runner.environment, REGION, state_machine_arn=runner.state_machine_arn)
        events = StateChangeEvents(fake, clock, REGION, ACCOUNT, role=RESUME_ROLE).install()
        faults.calls.clear()
        yield Harness(world, runner, fake, faults, seam, enforcement, events, hub, callbacks)

"""An embedded, simulated AWS account on loopback: moto's server, the faithful notebook fake, the stack's resources.

``simulated_account()`` starts a ``ThreadedMotoServer`` on 127.0.0.1 (free port) in this process, points every
boto3 client at it with dummy credentials (forced, whatever the user's environment says: the demo never reaches
real AWS), provisions what the stack provisions (``world.build_world``: private subnet, security groups, VPC
endpoints, snapshot bucket, audit table, alert topic) plus an SQS queue subscribed to the topic (the captured
alert subscription), and deploys the state machine from the real ASL file with its step Lambdas run in-process
(``WorkflowRunner`` + ``LambdaSeam``). Wait states advance a virtual clock (``zero_time``); the notebook fake's
transitions are measured on the same clock, so the timeline shows realistic durations without sleeping. The fake's
state-change events go through the stack's rule to the resume function, which ends the workflow's waits
(``fake.events``; callback tasks on the same clock: ``fake.callbacks``).
Enforcement is on: every function's role holds the policy the stack generates for it, and a call it does not
allow fails as in AWS (``fake.enforcement``); the Preflight's ``iam:SimulatePrincipalPolicy`` answers from the
same documents. Security Hub is the faithful fake (``fake.securityhub``), with the stack's two custom actions, and
callback tasks (the approval) run on the virtual clock (``fake.callbacks``). The deployment asks a person to
approve remediations of existing notebooks (``approval=existing-notebooks``); a Security Hub finding's trigger
remediates (``finding_action``), so the story shows one approval.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock

from moto.core.config import default_user_config
from moto.sagemaker.models import sagemaker_backends
from moto.server import ThreadedMotoServer

from notebook_guard.aws import clients
from notebook_guard.settings import get_settings
from notebook_guard_local.fake import FakeNotebooks, Timeline
from notebook_guard_local.fake.callbacks import FaithfulCallbacks
from notebook_guard_local.fake.clock import VirtualClock
from notebook_guard_local.fake.enforcement import Enforcement
from notebook_guard_local.fake.events import StateChangeEvents
from notebook_guard_local.fake.iam_simulation import SimulatePrincipalPolicy
from notebook_guard_local.fake.securityhub import FakeSecurityHub
from notebook_guard_local.offline import REAL_AWS_VARIABLES
from notebook_guard_local.roles import RESUME_ROLE, deploy_detection_roles
from notebook_guard_local.workflow_runner import MOTO_CONFIG, Execution, LambdaSeam, WorkflowRunner, zero_time
from notebook_guard_local.world import World, build_world

ACCOUNT = "123456789012"  # moto's default account
DUMMY_KEY = "notebook-guard-demo"
# The scripts of a lifecycle configuration a scenario names and the account lacks: nothing that needs the internet.
SIMULATED_SCRIPT = base64.b64encode(b"#!/bin/bash\necho 'simulated lifecycle script'\n").decode()
# How long each transitional state lasts on the virtual clock ("a few minutes" to create, per aws-facts.md).
DEMO_TIMELINE = {"Pending": 240.0, "Stopping": 75.0, "Deleting": 50.0, "Updating": 40.0}
# The stack's settings for Security Hub and approvals in the story (see the module's docstring).
DEMO_APPROVAL = "existing-notebooks"
DEMO_FINDING_ACTION = "remediate"
# Variables that could send a boto3 client elsewhere than the embedded server, or with real credentials.
_UNSAFE_PREFIXES = ("AWS_ENDPOINT_URL_",)
_UNSAFE = (
    *REAL_AWS_VARIABLES,
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
    "AWS_USE_FIPS_ENDPOINT",
    "AWS_USE_DUALSTACK_ENDPOINT",
)


@dataclass
class StepMark:
    """One step Lambda invocation: when (virtual seconds), which step, and the notebook's state after it."""

    at: float
    step: str
    notebook: str | None
    state: str | None


class RecordingSeam(LambdaSeam):
    """The workflow engineer's seam, also noting each step's virtual time and the notebook's state after it."""

    def __init__(self, simulation: Simulation) -> None:
        super().__init__()
        self._simulation = simulation

    def invoke(self, backend, name: str, body) -> tuple[bytes, bool]:
        at = self._simulation.clock.now
        result = super().invoke(backend, name, body)
        event = json.loads(body) if body else {}
        document = event.get("document", event) if isinstance(event, dict) else {}
        notebook = document.get("notebook_name") or (document.get("input") or {}).get("notebook_name")
        step = name.split(":function:")[-1].split(":")[0]
        self._simulation.marks.append(StepMark(at, step, notebook, self._simulation.status_of(notebook)))
        return result


@dataclass
class Simulation:
    endpoint: str
    region: str
    clock: VirtualClock
    fake: FakeNotebooks
    world: World | None = None
    runner: WorkflowRunner | None = None
    queue_url: str | None = None
    marks: list[StepMark] = field(default_factory=list)
    enforcement: Enforcement | None = None
    events: StateChangeEvents | None = None
    hub: FakeSecurityHub | None = None
    network: str = "isolated"  # the target: "isolated" (the stack's default, no internet) or "nat" (a NAT'd subnet)

    @property
    def backend(self):
        return sagemaker_backends[ACCOUNT][self.region]

    def status_of(self, name: str | None) -> str | None:
        """The notebook's state as moto holds it, without advancing the fake (no Describe poll)."""
        notebook = self.backend.notebook_instances.get(name) if name else None
        return notebook.status if notebook is not None else ("Gone" if name else None)

    def client(self, service: str):
        return clients.client(service, self.region)

    # The stack --------------------------------------------------------------------------------------------
    def provision(self, event_action: str = "remediate", sweep_action: str = "notify") -> None:
        """What the stack provisions, and the settings it gives the functions."""
        self.world = build_world(self.region)
        sqs = self.client("sqs")
        self.queue_url = sqs.create_queue(QueueName="security-team-inbox")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        self.client("sns").subscribe(
            TopicArn=self.world.topic_arn,
            Protocol="sqs",
            Endpoint=queue_arn,
            Attributes={"RawMessageDelivery": "false"},
        )
        hub = self.client("securityhub")
        approve, reject = (
            hub.create_action_target(Id=action_id, Name=name, Description=name)["ActionTargetArn"]
            for action_id, name in (
                ("NotebookGuardApprove", "Approve remediation"),
                ("NotebookGuardReject", "Reject remediation"),
            )
        )
        environment = self.world.environment(
            NG_EVENT_ACTION=event_action,
            NG_SWEEP_ACTION=sweep_action,
            NG_FINDING_ACTION=DEMO_FINDING_ACTION,
            NG_APPROVAL=DEMO_APPROVAL,
            NG_APPROVE_ACTION_ARN=approve,
            NG_REJECT_ACTION_ARN=reject,
        )
        if self.network == "nat":
            environment["NG_TARGET_SUBNET_IDS"] = self.world.nat_subnet_id
        self.runner = WorkflowRunner(environment, self.region)
        self.runner.deploy()
        self.runner.environment["NG_STATE_MACHINE_ARN"] = self.runner.state_machine_arn
        self.runner.apply_environment()
        deploy_detection_roles(self.runner.environment, self.region, state_machine_arn=self.runner.state_machine_arn)
        # SageMaker's state-change events reach the resume function (the stack's rule), and its reconciler runs:
        # the workflow's waits end on the events, as deployed.
        self.events = StateChangeEvents(self.fake, self.clock, self.region, ACCOUNT, role=RESUME_ROLE).install()

    @property
    def target_subnet_id(self) -> str:
        return self.world.nat_subnet_id if self.network == "nat" else self.world.private_subnet_id

    def needs_internet(self, request: dict) -> bool:
        """Whether the notebook ``request`` describes fetches from the internet, as the account will hold it (its
        lifecycle configuration's scripts, its repositories' URLs), by the Preflight's own analysis."""
        from notebook_guard.domain import internet

        sagemaker = self.client("sagemaker")
        lifecycle_name, lifecycle = request.get("LifecycleConfigName"), None
        if lifecycle_name:
            try:
                lifecycle = sagemaker.describe_notebook_instance_lifecycle_config(
                    NotebookInstanceLifecycleConfigName=lifecycle_name
                )
            except sagemaker.exceptions.ClientError:
                lifecycle = {"OnStart": [{"Content": SIMULATED_SCRIPT}]}
        names = [request.get("DefaultCodeRepository"), *(request.get("AdditionalCodeRepositories") or [])]
        repositories = [(name, self.repository_url(name)) for name in names if name]
        return internet.analyse(lifecycle_name, lifecycle, repositories).needed

    def repository_url(self, name: str) -> str:
        """A Git URL as given, or the URL of the SageMaker code repository of that name (made up if it is new)."""
        if "://" in name or name.startswith("git@"):
            return name
        existing = self.fake.code_repositories.get(name)
        return ((existing or {}).get("GitConfig") or {}).get("RepositoryUrl") or f"https://git.example.com/{name}.git"

    def set_actions(self, event_action: str, sweep_action: str, finding_action: str = DEMO_FINDING_ACTION) -> None:
        self.runner.environment.update(
            NG_EVENT_ACTION=event_action, NG_SWEEP_ACTION=sweep_action, NG_FINDING_ACTION=finding_action
        )
        self.runner.apply_environment()

    # Executions -------------------------------------------------------------------------------------------
    def wait_for_executions(self, seen: set[str], timeout: float = 60.0) -> list[Execution]:
        """Wait for every execution of the state machine not in ``seen``; returns them oldest first."""
        sfn = self.client("stepfunctions")
        listed = []
        for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=self.runner.state_machine_arn):
            listed += page["executions"]
        fresh = sorted((e for e in listed if e["executionArn"] not in seen), key=lambda e: e["startDate"])
        finished = []
        for item in fresh:
            seen.add(item["executionArn"])
            finished.append(self.runner.wait(item["executionArn"], timeout))
        return finished

    def alerts(self) -> list[dict]:
        """Drain the captured subscription: each alert as the security team receives it (Subject, Message)."""
        sqs = self.client("sqs")
        received = []
        while True:
            batch = sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
            messages = batch.get("Messages", [])
            if not messages:
                return received
            for message in messages:
                envelope = json.loads(message["Body"])
                received.append(
                    {
                        "subject": envelope.get("Subject"),
                        "message": envelope.get("Message"),
                        "attributes": {k: v.get("Value") for k, v in (envelope.get("MessageAttributes") or {}).items()},
                    }
                )
                sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])

    def save_snapshots(self, directory: Path) -> list[Path]:
        """Copy every snapshot in the bucket to ``directory`` (same keys), each with a ``.sha256`` beside it
        holding the checksum the workflow wrote it with, so ``restore`` can verify a local copy."""
        s3 = self.client("s3")
        saved = []
        prefix = get_settings().snapshot_prefix.rstrip("/") + "/"
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=self.world.bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                response = s3.get_object(Bucket=self.world.bucket, Key=item["Key"])
                target = directory / item["Key"]
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(response["Body"].read())
                sha256 = (response.get("Metadata") or {}).get("sha256")
                if sha256:
                    target.with_name(target.name + ".sha256").write_text(f"{sha256}  {target.name}\n")
                saved.append(target)
        return sorted(saved)

    # What a CreateNotebookInstance request refers to ----------------------------------------------------------
    def ensure_references(self, request: dict, scripts: dict[str, str] | None = None) -> dict:
        """Create what ``request`` refers to and the account lacks (role, KMS key, lifecycle config, repos).
        ``scripts``: the lifecycle configuration's scripts ({"OnStart": text}), when the story gives them.

        Returns the request unchanged (a copy): everything is created under the names the request uses.
        """
        request = json.loads(json.dumps(request))
        role_arn = request.get("RoleArn")
        if role_arn:
            role_name = role_arn.rsplit("/", 1)[-1]
            iam = self.client("iam")
            try:
                iam.get_role(RoleName=role_name)
            except iam.exceptions.NoSuchEntityException:
                path = "/" + "/".join(role_arn.split(":role/", 1)[-1].split("/")[:-1])
                iam.create_role(
                    RoleName=role_name,
                    Path=path if path == "/" else path + "/",
                    AssumeRolePolicyDocument=json.dumps(
                        {
                            "Version": "2012-10-17",
                            "Statement": [
                                {
                                    "Effect": "Allow",
                                    "Action": "sts:AssumeRole",
                                    "Principal": {"Service": "sagemaker.amazonaws.com"},
                                }
                            ],
                        }
                    ),
                )
        key_id = request.get("KmsKeyId")
        if key_id:
            self._ensure_kms_key(key_id)
        lifecycle = request.get("LifecycleConfigName")
        if lifecycle and scripts:
            self.client("sagemaker").create_notebook_instance_lifecycle_config(
                NotebookInstanceLifecycleConfigName=lifecycle,
                **{hook: [{"Content": base64.b64encode(text.encode()).decode()}] for hook, text in scripts.items()},
            )
        if lifecycle:
            sagemaker = self.client("sagemaker")
            try:
                sagemaker.describe_notebook_instance_lifecycle_config(NotebookInstanceLifecycleConfigName=lifecycle)
            except sagemaker.exceptions.ClientError:
                sagemaker.create_notebook_instance_lifecycle_config(
                    NotebookInstanceLifecycleConfigName=lifecycle,
                    OnCreate=[{"Content": SIMULATED_SCRIPT}],
                    OnStart=[{"Content": SIMULATED_SCRIPT}],
                )
        # Code repositories named (not given as URLs) must exist, as in AWS: public ones, without a secret.
        for repository in [request.get("DefaultCodeRepository"), *(request.get("AdditionalCodeRepositories") or [])]:
            if repository and "://" not in repository and repository not in self.fake.code_repositories:
                self.client("sagemaker").create_code_repository(
                    CodeRepositoryName=repository, GitConfig={"RepositoryUrl": self.repository_url(repository)}
                )
        return request

    def _ensure_kms_key(self, key_id: str) -> None:
        """A key (or alias) with exactly the id the request names, so the request works as given."""
        from moto.kms.models import kms_backends

        kms = self.client("kms")
        try:
            kms.describe_key(KeyId=key_id)
            return
        except kms.exceptions.NotFoundException:
            pass
        minted = kms.create_key(Description=f"simulated stand-in for {key_id}")["KeyMetadata"]["KeyId"]
        wanted = key_id.split(":", 5)[-1] if key_id.startswith("arn:") else key_id
        if wanted.startswith("alias/"):
            kms.create_alias(AliasName=wanted, TargetKeyId=minted)
            return
        wanted = wanted.removeprefix("key/")
        backend = kms_backends[ACCOUNT][self.region]
        key = backend.keys.pop(minted)
        key.id = wanted
        key.arn = key.arn.rsplit("/", 1)[0] + "/" + wanted
        backend.keys[wanted] = key


def _free_server() -> ThreadedMotoServer:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    return server


@contextmanager
def isolated_environment(endpoint: str, region: str) -> Iterator[None]:
    """Force every boto3 client of this process to the embedded server with dummy credentials; restore after."""
    with mock.patch.dict(os.environ):
        for variable in list(os.environ):
            if variable in _UNSAFE or variable.startswith(_UNSAFE_PREFIXES):
                del os.environ[variable]
        no_proxy = ",".join(p for p in (os.environ.get("NO_PROXY"), "127.0.0.1", "localhost") if p)
        os.environ.update(
            {
                "AWS_ENDPOINT_URL": endpoint,
                # moto's Step Functions interpreter calls Lambda through http://localhost:$MOTO_PORT in server mode.
                "MOTO_PORT": endpoint.rsplit(":", 1)[-1],
                "AWS_ACCESS_KEY_ID": DUMMY_KEY,
                "AWS_SECRET_ACCESS_KEY": DUMMY_KEY,
                "AWS_REGION": region,
                "AWS_DEFAULT_REGION": region,
                "AWS_CONFIG_FILE": os.devnull,
                "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
                "AWS_EC2_METADATA_DISABLED": "true",
                "NO_PROXY": no_proxy,
                "no_proxy": no_proxy,
                "POWERTOOLS_TRACE_DISABLED": "true",
                "POWERTOOLS_SERVICE_NAME": "notebook-guard",
                "POWERTOOLS_METRICS_NAMESPACE": "NotebookGuard",
                "POWERTOOLS_LOG_LEVEL": os.environ.get("NG_DEMO_LOG_LEVEL", "CRITICAL"),
                "POWERTOOLS_METRICS_DISABLED": "true",
            }
        )
        clients.reset()
        get_settings.cache_clear()
        try:
            yield
        finally:
            clients.reset()
            get_settings.cache_clear()


@contextmanager
def simulated_account(
    region: str = "us-east-1", timeline: dict[str, float] | None = None, network: str = "isolated"
) -> Iterator[Simulation]:
    """Start the embedded account, provision the stack's resources and deploy the workflow; stop it all after.
    ``network``: recreate notebooks in the isolated private subnet (the stack's default) or in the NAT'd one."""
    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    # moto logs every failed execution (a blocked one is expected in the story); the demo reports them itself.
    logging.getLogger("moto.stepfunctions").setLevel(logging.CRITICAL)
    clock = VirtualClock()
    fake = FakeNotebooks(Timeline(seconds=dict(timeline or DEMO_TIMELINE)), clock)
    with ExitStack() as stack:
        stack.enter_context(mock.patch.dict(default_user_config, MOTO_CONFIG))
        server = _free_server()
        stack.callback(server.stop)
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        stack.enter_context(isolated_environment(endpoint, region))
        stack.enter_context(zero_time(clock))
        simulation = Simulation(endpoint=endpoint, region=region, clock=clock, fake=fake, network=network)
        stack.enter_context(_real_instance_types())
        stack.enter_context(_quiet_handlers())
        stack.enter_context(fake)
        simulation.enforcement = stack.enter_context(Enforcement(fake=fake))
        stack.enter_context(SimulatePrincipalPolicy())
        simulation.hub = stack.enter_context(FakeSecurityHub())
        stack.enter_context(FaithfulCallbacks(clock))
        clients.reset()  # sessions made from here on carry the enforcement
        stack.enter_context(RecordingSeam(simulation))
        _reset_moto()
        stack.callback(_reset_moto)
        simulation.provision()
        yield simulation


@contextmanager
def _real_instance_types() -> Iterator[None]:
    """moto accepts a short list of notebook instance types; AWS accepts every type its API model lists."""
    import botocore.session
    from moto.sagemaker.exceptions import ValidationError
    from moto.sagemaker.models import FakeSagemakerNotebookInstance

    model = botocore.session.get_session().get_service_model("sagemaker")
    valid = frozenset(model.shape_for("InstanceType").enum)

    def validate_instance_type(self, instance_type: str) -> None:
        if instance_type not in valid:
            raise ValidationError(message=f"Value '{instance_type}' at 'instanceType' failed to satisfy constraint")

    with mock.patch.object(FakeSagemakerNotebookInstance, "validate_instance_type", validate_instance_type):
        yield


@contextmanager
def _quiet_handlers() -> Iterator[None]:
    """The handlers log JSON for CloudWatch; the demo tells its story instead (NG_DEMO_LOG_LEVEL to see them)."""
    from notebook_guard.handlers.observability import logger
    from notebook_guard_local.observability import discarded_metrics

    level = logger.log_level
    logger.setLevel(os.environ.get("NG_DEMO_LOG_LEVEL", "CRITICAL"))
    with discarded_metrics():
        try:
            yield
        finally:
            logger.setLevel(level)


def _reset_moto() -> None:
    """Every simulated account starts empty, even when a test already used moto in this process."""
    from moto.core.base_backend import BackendDict
    from moto.core.model_instances import reset_model_data

    BackendDict.reset()
    reset_model_data()

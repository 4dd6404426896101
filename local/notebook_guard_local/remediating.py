"""``notebook-guard remediate NAME``: start the deployed remediation workflow for one notebook, under its lease.

The command does not remediate anything itself: it finds the stack's state machine and coordination table in the
stack's outputs (CloudFormation DescribeStacks), looks at the notebook's lease without writing it, and starts an
execution with trigger ``manual``. The workflow then judges the notebook with the deployed settings, acquires the
lease atomically in its first step (``handlers/steps/lease.py``: a person's start is not subject to the attempt
bound), and runs every check and alert it runs for any other trigger. Two people racing both pass the look here;
the workflow's conditional write lets exactly one act and records the other as ``duplicate``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import TextIO

from notebook_guard.aws import account, cloudformation, sagemaker, stepfunctions
from notebook_guard.domain.lease import Request, Verdict
from notebook_guard.domain.models import Action, Trigger
from notebook_guard.domain.naming import execution_arn, execution_name, is_valid_notebook_name
from notebook_guard.domain.timestamps import utc_timestamp
from notebook_guard.services.coordination import Coordinator
from notebook_guard.services.snapshots import creation_time_of
from notebook_guard.settings import Settings
from notebook_guard_local.aws_access import CommandError

# The stack's outputs this command needs (infra/stack.py).
STATE_MACHINE_OUTPUT = "StateMachineArn"
COORDINATION_TABLE_OUTPUT = "CoordinationTableName"
# --wait: one DescribeExecution every WAIT_DELAY seconds, for at most WAIT_HOURS (a remediation takes about 15
# minutes of SageMaker transitions; an approval may take days, and the command can be run again to look).
WAIT_DELAY = 15
WAIT_HOURS = 2


@dataclass(frozen=True)
class Deployment:
    stack_name: str
    region: str
    state_machine_arn: str
    coordination_table: str


@dataclass
class Started:
    notebook_name: str
    notebook_arn: str
    region: str
    action: str
    execution_arn: str
    requested_by: str
    requested_at: str
    lease: str  # what the lease looked like before the start: free, taken over from an ended execution...
    status: str = "RUNNING"  # the execution's, once waited for
    outcome: str | None = None  # the workflow's (remediated, blocked, duplicate...), once it ended
    snapshot_uri: str | None = None
    error: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def find_deployment(stack_name: str, region: str) -> Deployment:
    """The state machine and coordination table of the stack deployed in ``region``."""
    outputs = cloudformation.stack_outputs(stack_name, region)
    if outputs is None:
        raise CommandError(
            f"no stack {stack_name} in {region}: deploy notebook-guard there first (cdk deploy), or pass --stack-name"
        )
    machine, table = outputs.get(STATE_MACHINE_OUTPUT), outputs.get(COORDINATION_TABLE_OUTPUT)
    if not machine or not table:
        raise CommandError(
            f"stack {stack_name} in {region} has no {STATE_MACHINE_OUTPUT} and {COORDINATION_TABLE_OUTPUT} outputs: "
            "is it notebook-guard's, deployed from this version? (redeploy it)"
        )
    return Deployment(stack_name, region, machine, table)


def start_remediation(name: str, action: Action, deployment: Deployment) -> Started:
    """Start the deployed workflow for notebook ``name`` with ``action``, unless another execution holds its lease."""
    if not is_valid_notebook_name(name):
        raise CommandError(f"NAME {name!r} is not a valid notebook instance name")
    region = deployment.region
    describe = sagemaker.describe_notebook(name, region)
    if describe is None:
        raise CommandError(f"no notebook instance {name} in {region}: nothing started")
    notebook_arn = describe["NotebookInstanceArn"]
    settings = Settings(
        region=region,
        state_machine_arn=deployment.state_machine_arn,
        coordination_table=deployment.coordination_table,
    )
    run_name = execution_name(Trigger.MANUAL.value, name)
    holder = execution_arn(deployment.state_machine_arn, run_name)
    request = Request(
        holder=holder,
        instance=creation_time_of(describe) or "",
        action=action.value,
        trigger=Trigger.MANUAL.value,
        enforce_bounds=False,  # a person decided; the workflow's Lease step does not bound a manual start either
    )
    decision = Coordinator(settings).check(notebook_arn, request)
    if decision.verdict is Verdict.HELD:
        raise CommandError(
            f"notebook {name} is in another workflow's hands ({decision.reason}): nothing started; one workflow "
            "per notebook acts at a time, run the command again once it has ended"
        )
    requested_by = account.caller_arn(region)
    requested_at = utc_timestamp()
    payload = {
        "notebook_name": name,
        "notebook_arn": notebook_arn,
        "trigger": Trigger.MANUAL.value,
        "action": action.value,
        # Who asked: the alerts and the audit record carry the execution input's source.
        "source": {"command": "notebook-guard remediate", "requested_by": requested_by},
        "requested_at": requested_at,
        # The person who started it is the one to tell now; the workflow still sends its closing alert.
        "announced": False,
    }
    started = stepfunctions.start_execution(deployment.state_machine_arn, run_name, payload, region)
    return Started(
        notebook_name=name,
        notebook_arn=notebook_arn,
        region=region,
        action=action.value,
        execution_arn=started,
        requested_by=requested_by,
        requested_at=requested_at,
        lease=decision.reason or "free",
    )


def wait_for_end(started: Started, delay: int = WAIT_DELAY, hours: float = WAIT_HOURS) -> Started:
    """Wait until the execution has ended and read what the workflow did."""
    from botocore.exceptions import WaiterError

    attempts = max(1, int(hours * 3600 / max(delay, 1)))
    try:
        described = stepfunctions.wait_until_ended(started.execution_arn, started.region, delay, attempts)
    except WaiterError:
        raise CommandError(
            f"execution {started.execution_arn} still runs after {hours:g} h (waiting for an approval?): it goes "
            "on; look at it in the Step Functions console"
        ) from None
    started.status = described["status"]
    output = json.loads(described.get("output") or "null") or {}
    started.outcome = (output.get("notified") or {}).get("outcome")
    started.snapshot_uri = (output.get("snapshot") or {}).get("uri")
    if started.status != "SUCCEEDED":
        started.error = " ".join(str(described.get(k) or "") for k in ("error", "cause")).strip()[:400] or None
    return started


def print_started(started: Started, stream: TextIO, waited: bool) -> None:
    console = (
        f"https://{started.region}.console.aws.amazon.com/states/home?region={started.region}"
        f"#/v2/executions/details/{started.execution_arn}"
    )
    if not waited:
        print(f"Started the {started.action} workflow for notebook {started.notebook_name}", file=stream)
    else:
        print(
            f"The {started.action} workflow for notebook {started.notebook_name} ended {started.status}: "
            f"{started.outcome or 'no outcome recorded'}",
            file=stream,
        )
    print(f"  execution: {started.execution_arn}", file=stream)
    print(f"  console:   {console}", file=stream)
    print(f"  by:        {started.requested_by}", file=stream)
    if started.snapshot_uri:
        print(f"  snapshot:  {started.snapshot_uri}", file=stream)
    if started.error:
        print(f"  error:     {started.error}", file=stream)
    if not waited:
        print(
            "  The workflow judges the notebook with the deployed settings, runs its preflight before anything "
            "destructive and alerts the team when it ends (--wait to follow it here).",
            file=stream,
        )

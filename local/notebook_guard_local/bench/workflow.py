"""The remediation workflow's row of the bench: state transitions and AWS API calls per remediation.

Runs the real ASL file in moto (the same harness as the workflow tests) over the simulated timeline of the
workflow issue: caught while Pending for 5 minutes, stopping takes 2, deleting 2, creating 6. The count comes
from the execution history; the same timeline with a fixed 10-second polling loop is the comparison. The API calls
are counted where botocore sends them (the fault recorder), per service, with the Preflight's own reads (its
output says how many of each it made: one per resource, whatever the number of target subnets); a second
remediation measures a notebook with a KMS key, a lifecycle configuration and a code repository, recreated with
two target subnets.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from notebook_guard.domain.waits import WaitSchedule

TIMELINE = {"Pending": 300, "Stopping": 120, "Deleting": 120}
CREATE_SECONDS = 360
DEFAULT = WaitSchedule()
FIXED_10_SECONDS = WaitSchedule(first_seconds=10, growth=1.0, max_interval_seconds=10)


PREFLIGHT_STATE = "Check the target network, role and key"


@dataclass(frozen=True)
class Run:
    transitions: int
    lambda_invocations: int
    wait_states: int
    simulated_seconds: float
    api_calls: dict[str, int] = field(default_factory=dict)  # "service:Operation" -> calls in the execution
    preflight_reads: dict[str, int] = field(default_factory=dict)  # the Preflight's own count of its reads

    @property
    def calls_total(self) -> int:
        return sum(self.api_calls.values())

    def calls_by_service(self) -> str:
        services = Counter()
        for call, count in self.api_calls.items():
            services[call.split(":")[0]] += count
        return ", ".join(f"{service} {count}" for service, count in sorted(services.items()))


@dataclass(frozen=True)
class WorkflowTransitions:
    status: str  # "measured" or "failed"
    message: str
    transitions: int | None = None
    fixed_polling_transitions: int | None = None
    api_calls: dict[str, int] | None = None
    preflight_reads: dict[str, int] | None = None
    full_notebook_api_calls: dict[str, int] | None = None
    full_notebook_preflight_reads: dict[str, int] | None = None


def measure(harness, name: str, schedule: WaitSchedule) -> Run:
    """One remediation of a notebook caught while Pending, on the simulated timeline."""
    harness.fake.timeline.polls = {state: 10**9 for state in ("Pending", "Stopping", "Deleting", "Updating")}
    harness.fake.timeline.seconds.update(TIMELINE)
    harness.create_notebook(name, "Pending")
    harness.fake.timeline.seconds["Pending"] = CREATE_SECONDS  # the recreated notebook's creation
    start = harness.fake.clock.now
    execution = harness.run(name, waits=schedule.to_dict())
    if execution.status != "SUCCEEDED":
        raise RuntimeError(f"remediation {execution.status}: {execution.error} {execution.cause}")
    return run_of(harness, execution, start)


def run_of(harness, execution, start: float) -> Run:
    return Run(
        transitions=execution.transitions,
        lambda_invocations=sum(1 for e in execution.events if e["type"] == "TaskStateEntered"),
        wait_states=sum(1 for e in execution.events if e["type"] == "WaitStateEntered"),
        simulated_seconds=harness.fake.clock.now - start,
        api_calls=dict(sorted(Counter(harness.faults.calls).items())),
        preflight_reads=preflight_reads(execution),
    )


def preflight_reads(execution) -> dict[str, int]:
    for event in execution.events:
        details = event.get("stateExitedEventDetails") or {}
        if event["type"] == "TaskStateExited" and details.get("name") == PREFLIGHT_STATE:
            return json.loads(details["output"]).get("preflight", {}).get("reads", {})
    return {}


def measure_full_notebook(harness) -> Run:
    """A notebook with a KMS key, a lifecycle configuration and a code repository, two target subnets (zero
    waits: only the calls are of interest)."""
    import base64
    import os

    from notebook_guard.aws import clients
    from notebook_guard_local.fake.notebooks import Timeline

    world, sagemaker = harness.world, harness.sagemaker
    os.environ["NG_TARGET_SUBNET_IDS"] = f"{world.private_subnet_id},{world.private_subnet_b_id}"
    harness.redeploy_roles()
    script = base64.b64encode(b"#!/bin/bash\necho configured\n").decode()
    sagemaker.create_notebook_instance_lifecycle_config(
        NotebookInstanceLifecycleConfigName="bench-lc", OnStart=[{"Content": script}]
    )
    url = "https://git-codecommit.us-east-1.amazonaws.com/v1/repos/bench"
    sagemaker.create_code_repository(CodeRepositoryName="bench-repo", GitConfig={"RepositoryUrl": url})
    key = clients.client("kms", world.region).create_key()["KeyMetadata"]["KeyId"]
    ec2 = clients.client("ec2", world.region)
    ec2.create_vpc_endpoint(  # a CodeCommit repository from a private subnet needs git-codecommit
        VpcId=world.vpc_id,
        ServiceName=f"com.amazonaws.{world.region}.git-codecommit",
        VpcEndpointType="Interface",
        SubnetIds=[world.private_subnet_id, world.private_subnet_b_id],
        SecurityGroupIds=[world.endpoint_security_group_id],
        PrivateDnsEnabled=True,
    )
    harness.fake.timeline = Timeline()  # transitions on polls again: this run waits zero seconds
    harness.create_notebook(
        "bench-full", "InService", KmsKeyId=key, LifecycleConfigName="bench-lc", DefaultCodeRepository="bench-repo"
    )
    start = harness.fake.clock.now
    execution = harness.run("bench-full")
    if execution.status != "SUCCEEDED":
        raise RuntimeError(f"full remediation {execution.status}: {execution.error} {execution.cause}")
    return run_of(harness, execution, start)


def measure_workflow_transitions(root: Path) -> WorkflowTransitions:
    """Transitions per remediation with the default schedule and with fixed 10-second polling."""
    from notebook_guard_local.workflow_harness import harness_context

    try:
        with harness_context() as harness:
            ours = measure(harness, "bench-default", DEFAULT)
            fixed = measure(harness, "bench-fixed-10s", FIXED_10_SECONDS)
            full = measure_full_notebook(harness)
    except Exception as error:  # the bench reports, it does not crash on one row
        return WorkflowTransitions("failed", f"failed: {type(error).__name__}: {error}")
    reads = lambda run: ", ".join(f"{c.split(':')[1]} {n}" for c, n in run.preflight_reads.items())  # noqa: E731
    return WorkflowTransitions(
        "measured",
        f"{ours.transitions} transitions per remediation ({ours.lambda_invocations} Lambda steps, "
        f"{ours.wait_states} waits, {ours.simulated_seconds / 60:.1f} simulated min) vs {fixed.transitions} "
        f"with fixed 10 s polling: {fixed.transitions / ours.transitions:.1f}x fewer. "
        f"AWS API calls per remediation: {ours.calls_total} ({ours.calls_by_service()}); the Preflight's reads: "
        f"{reads(ours)}. With a KMS key, a lifecycle configuration, a code repository and two target subnets: "
        f"{full.calls_total} calls ({full.calls_by_service()}); the Preflight's reads: {reads(full)}",
        transitions=ours.transitions,
        fixed_polling_transitions=fixed.transitions,
        api_calls=ours.api_calls,
        preflight_reads=ours.preflight_reads,
        full_notebook_api_calls=full.api_calls,
        full_notebook_preflight_reads=full.preflight_reads,
    )

"""The remediation workflow's rows of the bench: time, state transitions and AWS API calls per remediation.

Runs the real ASL file in moto (the same harness as the workflow tests) over the simulated timeline of the
workflow issue: caught while Pending for 5 minutes, stopping takes 2, deleting 2, creating 6 (AWS's own transition
times: 15 minutes). Each row is one remediation, from the notebook's creation to its compliant replacement, on the
virtual clock:

- event-driven (the state machine as deployed): SageMaker's state-change events delivered (EventBridge's latency
  taken as 1 s), 10 % of them dropped, all of them dropped (the reconciler, every 5 minutes, ends the waits), and
  all dropped with the reconciler down too (each wait falls back to polling after its heartbeat);
- polling only (the same machine without its callback tasks: the workflow before the waits listened), with the
  default schedule and with a fixed 10-second loop.

Transitions come from the execution history, *distinct* counts the states on the path (a state entered twice, a
poll loop's turn, counts once there); *repeats* = transitions - distinct. The API calls are counted where botocore
sends them (the fault recorder), per service, with the Preflight's own reads (its output says how many of each it
made: one per resource, whatever the number of target subnets); a second remediation measures a notebook with a
KMS key, a lifecycle configuration and a code repository, recreated with two target subnets.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from notebook_guard.domain.waits import WaitSchedule

TIMELINE = {"Pending": 300, "Stopping": 120, "Deleting": 120}
CREATE_SECONDS = 360
# What AWS itself takes on that timeline, and the waits a remediation passes through (stable, stopped, gone, in
# service).
AWS_SECONDS = TIMELINE["Pending"] + TIMELINE["Stopping"] + TIMELINE["Deleting"] + CREATE_SECONDS
WAITS_PER_REMEDIATION = 4
DEFAULT = WaitSchedule()
FIXED_10_SECONDS = WaitSchedule(first_seconds=10, growth=1.0, max_interval_seconds=10)
# The event-driven rows: label -> how the simulated EventBridge delivers (fake.events.Delivery). Which events a 10 %
# loss hits (and where the reconciler's schedule falls) is chance: that row is the mean of SEEDS runs.
EVENT_SCENARIOS = {
    "events delivered": {},
    "10 % of events dropped": {"drop": 0.1},
    "every event dropped": {"drop": 1.0},
    "every event dropped, reconciler down": {"drop": 1.0, "reconciler": False},
}
SEEDS = (1, 2, 3, 4, 5)


PREFLIGHT_STATE = "Check the target network, role and key"


@dataclass(frozen=True)
class Run:
    transitions: int
    lambda_invocations: int
    wait_states: int
    simulated_seconds: float
    distinct_states: int = 0  # states on the path, each counted once
    resumed_by: dict[str, int] = field(default_factory=dict)  # who ended each callback wait (event, reconciler...)
    polls: int = 0  # Probe invocations (the polling fallback's turns)
    events: dict[str, int] = field(default_factory=dict)  # the simulated EventBridge's counts
    api_calls: dict[str, int] = field(default_factory=dict)  # "service:Operation" -> calls in the execution
    preflight_reads: dict[str, int] = field(default_factory=dict)  # the Preflight's own count of its reads

    @property
    def repeats(self) -> int:
        return self.transitions - self.distinct_states

    @property
    def over_aws_seconds(self) -> float:
        return self.simulated_seconds - AWS_SECONDS

    @property
    def calls_total(self) -> int:
        return sum(self.api_calls.values())

    def calls_by_service(self) -> str:
        services = Counter()
        for call, count in self.api_calls.items():
            services[call.split(":")[0]] += count
        return ", ".join(f"{service} {count}" for service, count in sorted(services.items()))


@dataclass(frozen=True)
class Preservation:
    """What data preservation adds to a remediation on the simulated timeline."""

    without_seconds: float  # data_preservation=never
    empty_seconds: float  # always, an empty volume: the stops, starts and updates only
    per_gb_seconds: float  # the slope between two volume sizes: the backup and the restore of one GB
    extra_transitions: int  # always (empty) minus never
    sizes_gb: tuple[int, ...]
    seconds_by_size: dict[int, float]

    @property
    def fixed_seconds(self) -> float:
        return self.empty_seconds - self.without_seconds


@dataclass(frozen=True)
class WorkflowTransitions:
    status: str  # "measured" or "failed"
    message: str
    transitions: int | None = None
    fixed_polling_transitions: int | None = None
    # label -> {"minutes", "over_aws_seconds", "transitions", "distinct", "lambda", "polls", "resumed_by"}
    scenarios: dict[str, dict] | None = None
    api_calls: dict[str, int] | None = None
    preflight_reads: dict[str, int] | None = None
    full_notebook_api_calls: dict[str, int] | None = None
    full_notebook_preflight_reads: dict[str, int] | None = None
    preservation: Preservation | None = None


def measure(harness, name: str, schedule: WaitSchedule, **delivery) -> Run:
    """One remediation of a notebook caught while Pending, on the simulated timeline; ``delivery``: how the
    simulated EventBridge delivers the notebook's events (``fake.events.Delivery``)."""
    harness.fake.clock.clear()  # nothing left over from an earlier run
    harness.events.restart(**{"drop": 0.0, "reconciler": True, **delivery})
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
        distinct_states=len(set(execution.states_entered)),
        resumed_by=dict(Counter(a.get("resumed_by", "?") for a in execution.answers)),
        polls=sum(1 for name in execution.states_entered if name.startswith("Check whether")),
        events=dict(harness.events.counts),
        api_calls=dict(sorted(Counter(harness.faults.calls).items())),
        preflight_reads=preflight_reads(execution),
    )


def mean_run(runs: list[Run]) -> Run:
    """The mean of several runs (transitions and time rounded; who ended the waits summed)."""
    count = len(runs)
    resumed_by: Counter = Counter()
    for run in runs:
        resumed_by.update(run.resumed_by)
    return Run(
        transitions=round(sum(r.transitions for r in runs) / count),
        lambda_invocations=round(sum(r.lambda_invocations for r in runs) / count),
        wait_states=round(sum(r.wait_states for r in runs) / count),
        simulated_seconds=sum(r.simulated_seconds for r in runs) / count,
        distinct_states=round(sum(r.distinct_states for r in runs) / count),
        resumed_by=dict(resumed_by),
        polls=round(sum(r.polls for r in runs) / count),
        api_calls=runs[0].api_calls,
        preflight_reads=runs[0].preflight_reads,
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


# Data preservation's timeline: an existing notebook (InService) remediated; its starts take as long as a creation.
PRESERVATION_TIMELINE = {"Pending": 300, "Stopping": 120, "Deleting": 120, "Updating": 60}
PRESERVATION_SIZES_GB = (20, 200)


def remediate_existing(harness, name: str, mode: str, data_gb: int, schedule: WaitSchedule = DEFAULT) -> Run:
    """One remediation of a notebook in use for months holding ``data_gb`` GB, on the preservation timeline."""
    from notebook_guard_local.fake.lifecycle import MB

    harness.fake.clock.clear()  # nothing left over from an earlier run
    harness.events.restart(drop=0.0, reconciler=True)  # the notebook's own waits answered by its events
    harness.fake.timeline.polls = {state: 10**9 for state in PRESERVATION_TIMELINE}
    harness.fake.timeline.seconds.update(PRESERVATION_TIMELINE)
    harness.create_notebook(name, "InService", VolumeSizeInGB=max(100, 2 * data_gb))
    harness.fake.backdate(harness.backend, name, 90 * 86400)
    volume = harness.volume(name)
    volume.write("project/notes.ipynb", b'{"cells": []}')
    volume.extra_bytes = data_gb * 1024 * MB  # counted in the copies' time, not stored
    start = harness.fake.clock.now
    execution = harness.run(name, data_preservation=mode, waits=schedule.to_dict())
    if execution.status != "SUCCEEDED":
        raise RuntimeError(f"remediation with data_preservation={mode} {execution.status}: {execution.cause}")
    return run_of(harness, execution, start)


def measure_preservation(harness) -> Preservation:
    """The time and transitions data preservation adds, per GB, on the simulated timeline (the fake copies at
    ``FakeLifecycle.throughput``; the workflow polls on the default schedule)."""
    without = remediate_existing(harness, "bench-data-never", "never", 0)
    empty = remediate_existing(harness, "bench-data-empty", "always", 0)
    by_size = {
        size: remediate_existing(harness, f"bench-data-{size}gb", "always", size).simulated_seconds
        for size in PRESERVATION_SIZES_GB
    }
    low, high = PRESERVATION_SIZES_GB
    return Preservation(
        without_seconds=without.simulated_seconds,
        empty_seconds=empty.simulated_seconds,
        per_gb_seconds=(by_size[high] - by_size[low]) / (high - low),
        extra_transitions=empty.transitions - without.transitions,
        sizes_gb=PRESERVATION_SIZES_GB,
        seconds_by_size=by_size,
    )


def preservation_message(result: Preservation, throughput_mb: float) -> str:
    sizes = ", ".join(f"{size} GB {seconds / 60:.1f} min" for size, seconds in result.seconds_by_size.items())
    return (
        f"Data preservation (an existing notebook; starts 5 min, stops 2 min, updates 1 min; the simulated copy at "
        f"{throughput_mb:.0f} MB/s each way; events delivered; the backup's and restore's own waits polled on the "
        f"default schedule): {result.without_seconds / 60:.1f} min without, "
        f"{result.empty_seconds / 60:.1f} min with an empty volume (+{result.fixed_seconds / 60:.1f} min of stops, "
        f"starts and updates, +{result.extra_transitions} transitions), {sizes}: "
        f"+{result.per_gb_seconds:.0f} s per GB"
    )


def measure_workflow_transitions(root: Path) -> WorkflowTransitions:
    """Time and transitions per remediation, event-driven (events delivered, some or all lost) and polling only."""
    from notebook_guard_local.workflow_harness import harness_context

    try:
        runs: dict[str, Run] = {}
        with harness_context() as harness:
            for index, (label, delivery) in enumerate(EVENT_SCENARIOS.items()):
                if delivery.get("drop", 0) in (0, 1):
                    runs[label] = measure(harness, f"bench-events-{index}", DEFAULT, **delivery)
                    continue
                sampled = [
                    measure(harness, f"bench-events-{index}-{seed}", DEFAULT, seed=seed, **delivery) for seed in SEEDS
                ]
                worst = max(run.over_aws_seconds for run in sampled)
                runs[f"{label} (mean of {len(SEEDS)} runs; worst {worst:+.0f} s)"] = mean_run(sampled)
            preservation = measure_preservation(harness)
            throughput_mb = harness.fake.lifecycle.throughput / (1024 * 1024)
            full = measure_full_notebook(harness)
        # The workflow before its waits listened: no callback tasks, and no events reach a resume function.
        with harness_context(polling_only=True) as harness:
            runs["polling only (60 s, x2, capped at 180 s)"] = measure(
                harness, "bench-polling", DEFAULT, drop=1.0, reconciler=False
            )
            runs["polling only, fixed 10 s"] = measure(
                harness, "bench-fixed-10s", FIXED_10_SECONDS, drop=1.0, reconciler=False
            )
    except Exception as error:  # the bench reports, it does not crash on one row
        return WorkflowTransitions("failed", f"failed: {type(error).__name__}: {error}")
    ours, fixed = runs["events delivered"], runs["polling only, fixed 10 s"]
    reads = lambda run: ", ".join(f"{c.split(':')[1]} {n}" for c, n in run.preflight_reads.items())  # noqa: E731
    table = [
        f"simulated timeline: Pending 5 min, stop 2, delete 2, create 6: AWS's own {AWS_SECONDS / 60:.1f} min; "
        f"{WAITS_PER_REMEDIATION} waits per remediation; EventBridge latency taken as 1 s; reconciler every 5 min",
        "",
        "| remediation | creation -> compliant | over AWS's own | per wait | transitions | distinct states | repeats | "
        "Lambda steps | polls | waits ended by |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for label, run in runs.items():
        ended = ", ".join(f"{who} {n}" for who, n in sorted(run.resumed_by.items())) or "polling"
        table.append(
            f"| {label} | {run.simulated_seconds / 60:.1f} min | {run.over_aws_seconds:+.0f} s | "
            f"{run.over_aws_seconds / WAITS_PER_REMEDIATION:+.1f} s | {run.transitions} | {run.distinct_states} | "
            f"{run.repeats} | {run.lambda_invocations} | {run.polls} | {ended} |"
        )
    return WorkflowTransitions(
        "measured",
        "\n".join(table)
        + f"\n\n{ours.transitions} transitions per remediation with events delivered vs {fixed.transitions} with fixed "
        f"10 s polling: {fixed.transitions / ours.transitions:.1f}x fewer. "
        f"AWS API calls per remediation (events delivered, the resume function's included): {ours.calls_total} "
        f"({ours.calls_by_service()}); the Preflight's reads: {reads(ours)}. With a KMS key, a lifecycle "
        f"configuration, a code repository and two target subnets: {full.calls_total} calls "
        f"({full.calls_by_service()}); the Preflight's reads: {reads(full)}"
        + ". "
        + preservation_message(preservation, throughput_mb),
        transitions=ours.transitions,
        fixed_polling_transitions=fixed.transitions,
        scenarios={
            label: {
                "simulated_seconds": run.simulated_seconds,
                "over_aws_seconds": run.over_aws_seconds,
                "transitions": run.transitions,
                "distinct_states": run.distinct_states,
                "lambda_invocations": run.lambda_invocations,
                "polls": run.polls,
                "resumed_by": run.resumed_by,
                "events": run.events,
            }
            for label, run in runs.items()
        },
        api_calls=ours.api_calls,
        preflight_reads=ours.preflight_reads,
        full_notebook_api_calls=full.api_calls,
        full_notebook_preflight_reads=full.preflight_reads,
        preservation=preservation,
    )

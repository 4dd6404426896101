"""The remediation workflow's row of the bench: state transitions per remediation (Step Functions bills them).

Runs the real ASL file in moto (the same harness as the workflow tests) over the simulated timeline of the
workflow issue: caught while Pending for 5 minutes, stopping takes 2, deleting 2, creating 6. The count comes
from the execution history; the same timeline with a fixed 10-second polling loop is the comparison.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from notebook_guard.domain.waits import WaitSchedule

TIMELINE = {"Pending": 300, "Stopping": 120, "Deleting": 120}
CREATE_SECONDS = 360
DEFAULT = WaitSchedule()
FIXED_10_SECONDS = WaitSchedule(first_seconds=10, growth=1.0, max_interval_seconds=10)


@dataclass(frozen=True)
class Run:
    transitions: int
    lambda_invocations: int
    wait_states: int
    simulated_seconds: float


@dataclass(frozen=True)
class WorkflowTransitions:
    status: str  # "measured" or "failed"
    message: str
    transitions: int | None = None
    fixed_polling_transitions: int | None = None


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
    return Run(
        transitions=execution.transitions,
        lambda_invocations=sum(1 for e in execution.events if e["type"] == "TaskStateEntered"),
        wait_states=sum(1 for e in execution.events if e["type"] == "WaitStateEntered"),
        simulated_seconds=harness.fake.clock.now - start,
    )


def measure_workflow_transitions(root: Path) -> WorkflowTransitions:
    """Transitions per remediation with the default schedule and with fixed 10-second polling."""
    from notebook_guard_local.workflow_harness import harness_context

    try:
        with harness_context() as harness:
            ours = measure(harness, "bench-default", DEFAULT)
            fixed = measure(harness, "bench-fixed-10s", FIXED_10_SECONDS)
    except Exception as error:  # the bench reports, it does not crash on one row
        return WorkflowTransitions("failed", f"failed: {type(error).__name__}: {error}")
    return WorkflowTransitions(
        "measured",
        f"{ours.transitions} transitions per remediation ({ours.lambda_invocations} Lambda steps, "
        f"{ours.wait_states} waits, {ours.simulated_seconds / 60:.1f} simulated min) vs {fixed.transitions} "
        f"with fixed 10 s polling: {fixed.transitions / ours.transitions:.1f}x fewer",
        transitions=ours.transitions,
        fixed_polling_transitions=fixed.transitions,
    )

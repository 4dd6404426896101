"""Hook for the remediation workflow's row of the bench: state transitions per remediation.

The measurement plugs in here once the workflow (``infra/statemachine/remediation.asl.json``) is merged:
execute the simulated timeline of the workflow issue in moto's Step Functions and count the history's
state transitions, next to what a fixed 10-second polling loop would cost over the same timeline.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ASL_PATH = Path("infra/statemachine/remediation.asl.json")


@dataclass(frozen=True)
class WorkflowTransitions:
    status: str  # "pending" until measured
    message: str
    transitions: int | None = None
    fixed_polling_transitions: int | None = None


def measure_workflow_transitions(root: Path) -> WorkflowTransitions:
    """State transitions per remediation; pending until the workflow is merged and this is filled in."""
    if not (root / ASL_PATH).exists():
        return WorkflowTransitions("pending", "pending: workflow not merged yet")
    return WorkflowTransitions(
        "pending",
        "pending: workflow merged, transition measurement not written yet "
        "(notebook_guard_local.bench.workflow.measure_workflow_transitions)",
    )

"""Decisions of the remediation workflow: which path an evaluated notebook takes.

The state machine branches on the plain values returned here (``path``); it never interprets AWS errors.
"""

from __future__ import annotations

from notebook_guard.domain.models import Action, Evaluation, Remedy

# Paths the "Decide the path" Choice state knows.
GONE = "gone"
COMPLIANT = "compliant"
EXEMPT = "exempt"
RECREATE = "recreate"
ROOT_ACCESS = "root-access"

RUNNING_STATES = frozenset({"InService", "Pending", "Updating", "PendingMaintenance", "InMaintenance"})


def decide_path(evaluation: Evaluation | None) -> str:
    if evaluation is None:
        return GONE
    if evaluation.compliant:
        return COMPLIANT
    if evaluation.exempt:
        return EXEMPT
    return RECREATE if evaluation.remedy is Remedy.RECREATE else ROOT_ACCESS


def parse_action(raw: object, default: Action) -> Action:
    if raw in (None, ""):
        return default
    return Action(str(raw))


def was_running(status: str) -> bool:
    """Whether the notebook should be started again after an in-place fix (it was running or starting)."""
    return status in RUNNING_STATES

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


# --- Capacity: a recreated notebook that ends Failed for lack of capacity is tried in the next subnet -------------

# What SageMaker puts in FailureReason when the zone has no capacity for the instance type: "Insufficient notebook
# instance capacity. Retry later or with a different instance type." (reported in
# github.com/aws/amazon-sagemaker-examples/issues/207); other SageMaker resources say "CapacityError: Unable to
# provision requested ML compute capacity" and EC2 "InsufficientInstanceCapacity".
_CAPACITY_MARKERS = ("insufficient notebook instance capacity", "capacityerror", "insufficientinstancecapacity",
                     "insufficient capacity", "unable to provision requested ml compute capacity")


def is_capacity_failure(reason: str | None) -> bool:
    text = (reason or "").lower()
    return any(marker in text for marker in _CAPACITY_MARKERS)


def next_subnet(subnets: list[dict], attempts: list[dict]) -> dict | None:
    """The next subnet to try after ``attempts`` (each ``{"subnet_id", "availability_zone", ...}``): not tried yet, and
    in a zone that has not already failed for capacity. None: every zone has been tried."""
    tried = {a.get("subnet_id") for a in attempts}
    failed_zones = {a.get("availability_zone") for a in attempts if is_capacity_failure(a.get("failure_reason"))}
    for subnet in subnets:
        if subnet["subnet_id"] not in tried and subnet.get("availability_zone") not in failed_zones:
            return subnet
    return None


def subnet_for_attempt(preflight: dict, retry: dict | None) -> dict | None:
    """The target subnet this Create attempt uses: the first the Preflight passed, or the one the last discarded
    attempt chose (None: an execution without per-subnet results keeps its planned request)."""
    subnets = preflight.get("subnets") or []
    wanted = (retry or {}).get("next_subnet")
    if wanted:
        return next((s for s in subnets if s["subnet_id"] == wanted), None)
    return subnets[0] if subnets else None

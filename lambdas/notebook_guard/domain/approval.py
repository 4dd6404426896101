"""The approval gate: when a person must approve before the workflow stops and deletes a notebook, and what a
decision looks like wherever it is read. Pure.

``approval`` (a deployment setting): ``never`` (the default), ``existing-notebooks`` (every trigger but
``create``: a notebook caught at its creation has no user's work in it yet), ``always``. It applies to the
``remediate`` action only: ``notify`` changes nothing and ``quarantine`` only stops the notebook (reversible);
remediation deletes it (or, for root access, stops and updates it in place). The gate is decided from the
deployment's settings alone, never from the execution input, so whoever may start an execution cannot skip it.

A decision reaches the waiting task as ``SendTaskSuccess`` (approved: the output below) or ``SendTaskFailure``
(rejected: error ``ApprovalRejected``, the cause below as JSON); a task nobody answers ends ``States.Timeout``
after the approval timeout. ``decision_of`` reads all three into one shape.
"""

from __future__ import annotations

import json
from enum import StrEnum

from notebook_guard.domain.models import Action, Trigger

REJECTED_ERROR = "ApprovalRejected"  # SendTaskFailure's error; also a class in domain.errors (the ASL catches it)
TIMEOUT_ERRORS = ("States.Timeout", "States.HeartbeatTimeout")
REASON_LIMIT = 1000
# SendTaskFailure: ``cause`` up to 32,768 characters, ``error`` up to 256 (botocore's Step Functions model).
CAUSE_LIMIT = 32768


class Approval(StrEnum):
    NEVER = "never"
    EXISTING_NOTEBOOKS = "existing-notebooks"
    ALWAYS = "always"


class Via(StrEnum):
    CLI = "cli"  # notebook-guard approve|reject: the caller's IAM identity (sts:GetCallerIdentity)
    SECURITY_HUB = "security-hub"  # a Security Hub custom action: the event names no person (see README)


def approval_required(setting: str, trigger: str, action: str) -> bool:
    if action != Action.REMEDIATE.value:
        return False
    if setting == Approval.ALWAYS:
        return True
    if setting == Approval.EXISTING_NOTEBOOKS:
        return trigger != Trigger.CREATE.value
    return False


def decision(approved: bool, by: str, reason: str, via: str, at: str) -> dict:
    """What an approver sends: the task's output (approved) or the failure's cause (rejected)."""
    return {
        "approved": approved,
        "decision": "approved" if approved else "rejected",
        "by": by,
        "reason": (reason or "")[:REASON_LIMIT],
        "via": via,
        "at": at,
    }


def success_output(record: dict) -> str:
    return json.dumps(record, sort_keys=True)


def failure_cause(record: dict) -> str:
    return json.dumps(record, sort_keys=True)[:CAUSE_LIMIT]


def decision_of(raw: dict | None) -> dict | None:
    """The decision in the execution document (``$.approval.decision``), in one shape; None when there is none.

    Approved: SendTaskSuccess's output. Rejected: the Catch's ``{"Error": "ApprovalRejected", "Cause": json}``.
    Timed out: ``{"Error": "States.Timeout", ...}``.
    """
    if not raw:
        return None
    if "decision" in raw:
        return raw
    error = raw.get("Error")
    if error == REJECTED_ERROR:
        try:
            cause = json.loads(raw.get("Cause") or "{}")
        except (TypeError, ValueError):
            cause = {}
        cause = cause if isinstance(cause, dict) else {}
        return {
            "approved": False,
            "decision": "rejected",
            "by": cause.get("by") or "unknown",
            "reason": cause.get("reason") or (raw.get("Cause") or "")[:REASON_LIMIT],
            "via": cause.get("via"),
            "at": cause.get("at"),
        }
    if error in TIMEOUT_ERRORS:
        return {"approved": False, "decision": "timed-out", "by": None, "reason": None, "via": None, "at": None}
    return {"approved": False, "decision": "unknown", "by": None, "reason": str(raw)[:REASON_LIMIT], "via": None}


def describe(record: dict | None, timeout_seconds: int | None = None) -> str:
    """One sentence on the decision, for alerts and finding notes ("" when there was none)."""
    if not record:
        return ""
    if record["decision"] == "approved":
        return f"Approved by {record['by']} ({record['via']}): {record['reason']}."
    if record["decision"] == "rejected":
        return f"Not approved: rejected by {record['by']} ({record.get('via') or '?'}): {record['reason']}."
    if record["decision"] == "timed-out":
        hours = f" within {timeout_seconds / 3600:g} h" if timeout_seconds else ""
        return f"Not approved: nobody decided{hours}, so the approval timed out."
    return f"Not approved: {record.get('reason')}."


APPROVE_ACTION_NAME = "Approve remediation"  # Security Hub custom action names: fewer than 20 characters
REJECT_ACTION_NAME = "Reject remediation"


def how_to_decide(
    execution_arn: str, region: str, table: str | None, custom_actions: bool, until: str, fallback: str
) -> list[str]:
    """The lines of an approval-requested alert that tell a person how to decide (no secret in them)."""
    table_option = f" --coordination-table {table}" if table else ""
    lines = [
        f'Approve: notebook-guard approve {execution_arn} --reason "WHY"{table_option} --region {region}',
        f'Reject:  notebook-guard reject {execution_arn} --reason "WHY"{table_option} --region {region}',
    ]
    if custom_actions:
        lines.append(
            f"Or in Security Hub: select this notebook's SageMaker finding, then Actions > '{APPROVE_ACTION_NAME}' "
            f"or '{REJECT_ACTION_NAME}' (write the reason in the finding's note first)."
        )
    lines.append(f"Without a decision by {until}, the workflow falls back to '{fallback}': nothing is deleted.")
    return lines

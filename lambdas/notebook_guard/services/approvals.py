"""Pending approvals in the coordination table, and a person's decision sent to the waiting task.

The Approval step stores ``{token, execution, notebook, expiry}`` under ``pk = execution#<execution ARN>``,
``sk = approval`` (the table is encrypted at rest; the token is never logged or alerted). Approvers find it by
the execution (``notebook-guard approve EXECUTION``) or by the notebook of a Security Hub finding: the notebook's
lease names the execution that holds it. The decision goes to Step Functions, which accepts exactly one: a second
decision, or one after the timeout or the execution's end, is refused (``TaskTimedOut``) and reported as
``ApprovalClosed``. The item is left to its TTL; the execution's own records keep the decision.
"""

from __future__ import annotations

from dataclasses import dataclass

from botocore.exceptions import ClientError

from notebook_guard.aws import dynamodb, stepfunctions
from notebook_guard.aws.errors import error_code, error_message
from notebook_guard.domain import approval
from notebook_guard.domain.errors import ApprovalClosed, NoPendingApproval
from notebook_guard.domain.lease import LeaseRecord
from notebook_guard.services.coordination import LEASE, notebook_key
from notebook_guard.workflow_steps import (
    COORDINATION_PARTITION_KEY,
    COORDINATION_SORT_KEY,
    COORDINATION_TTL_ATTRIBUTE,
)

APPROVAL = "approval"
# The item outlives the wait by this much, so a late approver is told the approval closed rather than nothing.
TTL_MARGIN_SECONDS = 86400


def approval_key(execution_arn: str) -> dict[str, str]:
    return {COORDINATION_PARTITION_KEY: f"execution#{execution_arn}", COORDINATION_SORT_KEY: APPROVAL}


@dataclass(frozen=True)
class PendingApproval:
    execution_id: str
    notebook_name: str
    notebook_arn: str
    action: str
    requested_at: int
    timeout_at: int
    token: str  # never logged, never alerted

    def public(self) -> dict:
        """Everything but the token."""
        return {
            "execution_id": self.execution_id,
            "notebook_name": self.notebook_name,
            "notebook_arn": self.notebook_arn,
            "action": self.action,
            "requested_at": self.requested_at,
            "timeout_at": self.timeout_at,
        }


def record_request(table: str, document: dict, token: str, now: int, timeout_seconds: int, region: str) -> dict:
    """Store the waiting task's token for its execution (a retried step overwrites it with its own new token)."""
    execution = document["execution_id"]
    values = {
        "token": token,
        "execution_id": execution,
        "notebook_name": document["notebook_name"],
        "notebook_arn": document.get("notebook_arn") or "",
        "action": document.get("action") or "",
        "requested_at": now,
        "timeout_at": now + timeout_seconds,
        COORDINATION_TTL_ATTRIBUTE: now + timeout_seconds + TTL_MARGIN_SECONDS,
    }
    dynamodb.update_item(table, approval_key(execution), set_values=values, region=region)
    return {k: v for k, v in values.items() if k != "token"}


def pending(table: str, execution_arn: str, region: str | None = None) -> PendingApproval:
    item = dynamodb.get_item(table, approval_key(execution_arn), region)
    if not item or not item.get("token"):
        raise NoPendingApproval(f"no approval is waiting for execution {execution_arn}")
    return PendingApproval(
        execution_id=item["execution_id"],
        notebook_name=item.get("notebook_name", ""),
        notebook_arn=item.get("notebook_arn", ""),
        action=item.get("action", ""),
        requested_at=int(item.get("requested_at", 0)),
        timeout_at=int(item.get("timeout_at", 0)),
        token=item["token"],
    )


def pending_for_notebook(table: str, notebook_arn: str, region: str | None = None) -> PendingApproval:
    """The approval the execution holding the notebook's lease waits for."""
    record = LeaseRecord.from_item(dynamodb.get_item(table, notebook_key(notebook_arn, LEASE), region))
    if not record.held or not record.holder:
        raise NoPendingApproval(f"no workflow holds notebook {notebook_arn}, so no approval is waiting for it")
    return pending(table, record.holder, region)


def send(waiting: PendingApproval, record: dict, region: str | None = None) -> None:
    """Send ``record`` (``domain.approval.decision``) to the waiting task. Raises ``ApprovalClosed`` when Step
    Functions refuses it as closed or unknown."""
    try:
        if record["approved"]:
            stepfunctions.send_task_success(waiting.token, approval.success_output(record), region)
        else:
            stepfunctions.send_task_failure(
                waiting.token, approval.REJECTED_ERROR, approval.failure_cause(record), region
            )
    except ClientError as error:
        if error_code(error) in stepfunctions.CLOSED_TOKEN_ERRORS:
            raise ApprovalClosed(
                f"the approval of execution {waiting.execution_id} is closed ({error_code(error)}: "
                f"{error_message(error)}): it was decided already, timed out, or the execution ended"
            ) from None
        raise


def decide(table: str, execution_arn: str, record: dict, region: str | None = None) -> PendingApproval:
    """A person's decision on an execution's pending approval (the CLI's path)."""
    waiting = pending(table, execution_arn, region)
    send(waiting, record, region)
    return waiting

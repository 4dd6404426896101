"""Approval: the task the state machine waits on (``lambda:invoke.waitForTaskToken``) until a person decides.

It keeps the task token for the execution in the coordination table (never in a log or an alert), records the
request in the audit table, tells the team how to approve or reject (``approval-requested`` alert) and notes the
notebook's Security Hub findings. The state machine then waits up to the approval timeout for SendTaskSuccess
(approved) or SendTaskFailure ``ApprovalRejected`` (rejected); see ``services.approvals``.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from notebook_guard.domain import approval
from notebook_guard.domain.alerts import Alert, AlertKind
from notebook_guard.domain.findings import APPROVAL_REQUESTED
from notebook_guard.handlers.observability import logger
from notebook_guard.handlers.steps.common import account, now_iso, step
from notebook_guard.services import approvals, audit, findings
from notebook_guard.services.alerting import deliver
from notebook_guard.services.coordination import Coordinator
from notebook_guard.settings import get_settings


@step
def handler(event: dict) -> dict:
    settings = get_settings()
    document = event["document"]
    token = event["token"]
    gate = document.get("approval") or {}
    timeout = int(gate.get("timeout_seconds") or settings.approval_timeout_seconds)
    now = int(time.time())
    until = datetime.fromtimestamp(now + timeout, UTC).isoformat(timespec="minutes").replace("+00:00", "Z")
    table = Coordinator(settings).table  # raises LeaseLost without one: no approver could find the token
    stored = approvals.record_request(table, document, token, now, timeout, settings.region)
    lines = approval.how_to_decide(
        document["execution_id"],
        settings.region,
        table,
        bool(settings.approve_action_arn),
        until,
        str(gate.get("fallback") or settings.approval_fallback.value),
    )
    summary = (
        f"Action '{document.get('action')}' needs a person's approval (approval={gate.get('setting')}): the snapshot "
        "is taken and the preflight passed; nothing has been changed yet. Decide by " + until + "."
    )
    report = findings.follow(APPROVAL_REQUESTED, document, settings, summary)
    audit.write(settings, document, "approval-requested", {"outcome": "approval-requested", **stored})
    delivery = {}
    if settings.alert_topic_arn:
        evaluation = document.get("evaluation") or {}
        alert = Alert(
            kind=AlertKind.APPROVAL_REQUESTED,
            account=account(document),
            region=settings.region,
            notebook_name=document["notebook_name"],
            notebook_arn=document.get("notebook_arn"),
            violations=evaluation.get("violations") or [],
            action=document.get("action"),
            trigger=document.get("trigger"),
            execution_id=document.get("execution_id"),
            summary=summary,
            snapshot_uri=(document.get("snapshot") or {}).get("uri"),
            details={"how_to_decide": lines, "approval_until": until, "security_hub": report.to_dict()},
            time=now_iso(),
        )
        delivery = deliver(alert, settings).to_dict()
    logger.info("Approval requested", extra={"until": until, "security_hub": report.to_dict()})
    return {"requested": True, "until": until, "security_hub": report.to_dict(), **delivery}

"""A Security Hub custom action on a notebook's finding: approve or reject the remediation waiting for it.

The event (``Security Hub Findings - Custom Action``) names the custom action (``resources``), its name and the
chosen findings, and no person: Security Hub sends it for whoever is allowed ``securityhub:SendFindingEvents`` on
the hub (the console's custom actions; Service Authorization Reference), and only AWS can send events with source
``aws.securityhub``. So the decision records the custom action as its author, and the finding's note (a person's
reason, written before choosing the action) as its reason. Each notebook of the chosen findings that belongs to
this account and region: the execution holding its lease, its pending approval, the decision sent. Nothing
waiting, or already decided: reported, nothing else happens.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from notebook_guard.domain import approval, findings
from notebook_guard.domain.errors import ApprovalClosed, NoPendingApproval
from notebook_guard.handlers.observability import logger, metrics, tracer
from notebook_guard.models.events import SecurityHubCustomActionEvent, SecurityHubFinding
from notebook_guard.services import approvals
from notebook_guard.services.audit import now_iso
from notebook_guard.settings import Settings, get_settings

EVENT_HAS_NO_PERSON = "the custom action event names no person"


def reason_of(finding: SecurityHubFinding, action_name: str) -> str:
    note = finding.Note
    if note and note.Text:
        return f"{note.Text} (the finding's note, by {note.UpdatedBy or 'unknown'})"
    return f"chosen with the Security Hub custom action '{action_name}'; the finding had no note"


def process(event: Any, function_account: str | None = None) -> dict:
    settings = get_settings()
    try:
        parsed = parse(event=event, model=SecurityHubCustomActionEvent)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'event'}: {e['msg']}" for e in error.errors()[:5])
        return ignored(f"malformed custom action event: {problems}")
    action_arn = parsed.resources[0] if parsed.resources else ""
    if action_arn not in {settings.approve_action_arn, settings.reject_action_arn} - {None}:
        return ignored(f"not one of notebook-guard's custom actions: {action_arn}")
    if parsed.region != settings.region or (function_account and parsed.account != function_account):
        return ignored(f"the event is about {parsed.account}/{parsed.region}, this function serves {settings.region}")
    approved = action_arn == settings.approve_action_arn
    by = f"Security Hub custom action '{parsed.detail.actionName}' ({action_arn}); {EVENT_HAS_NO_PERSON}"
    results: dict[str, dict] = {}
    for finding in parsed.detail.findings:
        for arn in findings.notebook_arns_of(finding.model_dump(exclude_none=True)):
            if arn in results:
                continue
            results[arn] = decide_for(
                arn, approved, by, reason_of(finding, parsed.detail.actionName), settings, parsed.account
            )
    if not results:
        return ignored("none of the chosen findings is about a notebook instance")
    logger.info("Custom action handled", extra={"approved": approved, "results": results})
    return {"outcome": "approved" if approved else "rejected", "results": results}


def decide_for(notebook_arn: str, approved: bool, by: str, reason: str, settings: Settings, account: str) -> dict:
    parts = notebook_arn.split(":")
    # An administrator account's console shows its members' findings too: only this account's notebooks are ours.
    if len(parts) < 6 or parts[3] != settings.region or parts[4] != account:
        return {"result": "ignored", "reason": "a notebook of another region or account"}
    if not settings.coordination_table:
        return {"result": "ignored", "reason": "NG_COORDINATION_TABLE is not set"}
    record = approval.decision(approved, by, reason, approval.Via.SECURITY_HUB, now_iso())
    try:
        waiting = approvals.pending_for_notebook(settings.coordination_table, notebook_arn, settings.region)
        approvals.send(waiting, record, settings.region)
    except NoPendingApproval as error:
        metrics.add_metric(name="ApprovalsNotPending", unit=MetricUnit.Count, value=1)
        return {"result": "nothing-waiting", "reason": str(error)}
    except ApprovalClosed as error:
        metrics.add_metric(name="ApprovalsClosed", unit=MetricUnit.Count, value=1)
        return {"result": "closed", "reason": str(error)}
    metrics.add_metric(name="ApprovalsDecided", unit=MetricUnit.Count, value=1)
    return {"result": record["decision"], "execution": waiting.execution_id}


def ignored(reason: str) -> dict:
    logger.warning("Ignoring event", extra={"reason": reason})
    metrics.add_metric(name="InvalidEvents", unit=MetricUnit.Count, value=1)
    return {"outcome": "ignored", "reason": reason}


@logger.inject_lambda_context(correlation_id_path=correlation_paths.EVENT_BRIDGE, clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict, context: LambdaContext) -> dict:
    arn = getattr(context, "invoked_function_arn", "") or ""
    return process(event, arn.split(":")[4] if arn.count(":") >= 5 else None)

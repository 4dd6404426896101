"""Notify: send the alert for an outcome and record it in the audit table.

Outcomes ``gone``, ``compliant`` and ``exempt`` are only recorded (nothing to tell anyone); the others are
published to the alert topic. The notebook's current state is read best-effort: a failure alert must go out
even when SageMaker is the thing failing.
"""

from __future__ import annotations

from notebook_guard.aws import dynamodb, sagemaker, sns
from notebook_guard.domain import workflow
from notebook_guard.domain.alerts import Alert, AlertKind
from notebook_guard.domain.recreate import restore_hint
from notebook_guard.handlers.steps.common import account, now_iso, record_id, step
from notebook_guard.settings import Settings, get_settings

_KINDS = {
    "violation": AlertKind.VIOLATION,
    "quarantined": AlertKind.QUARANTINED,
    "blocked": AlertKind.BLOCKED,
    "stuck": AlertKind.STUCK,
    "remediated": AlertKind.REMEDIATED,
    "failed": AlertKind.FAILED,
}
RECORD_ONLY = ("gone", "compliant", "exempt")


def current_state(name: str, settings: Settings) -> str:
    try:
        describe = sagemaker.describe_notebook(name, settings.region)
    except Exception as error:  # best effort: the alert matters more than this detail
        return f"unknown ({type(error).__name__}: {error})"
    return describe["NotebookInstanceStatus"] if describe else "Gone (no notebook of that name exists)"


def summary_of(outcome: str, document: dict, state: str) -> str:
    loop = document.get("loop") or {}
    failure = document.get("failure") or {}
    preflight = document.get("preflight") or {}
    snapshot = document.get("snapshot") or {}
    texts = {
        "violation": "Action is 'notify': nothing was changed. Choose 'quarantine' or 'remediate' to act.",
        "quarantined": f"The notebook was stopped (action 'quarantine'); it is now {state}. Nothing was deleted.",
        "blocked": "The target is not ready, so nothing was changed: " + "; ".join(preflight.get("problems") or []),
        "stuck": (
            f"The notebook stayed {loop.get('state')} while waiting until {loop.get('until')} for "
            f"{loop.get('count')} checks ({loop.get('waited')} s). It is now {state}. A person must look."
        ),
        "remediated": "The notebook was recreated in the private subnet; it passes evaluation.",
        "failed": (
            f"Step '{failure.get('Step') or document.get('failed_step') or '?'}' failed with "
            f"{failure.get('Error')}: {str(failure.get('Cause'))[:600]}. The notebook is now {state}."
        ),
    }
    if outcome == "remediated" and document["evaluation"].get("path") == workflow.ROOT_ACCESS:
        return "Root access was disabled in place; the notebook passes evaluation."
    text = texts.get(outcome, outcome)
    if snapshot.get("dropped") and outcome in ("remediated", "failed", "blocked"):
        text += " Not carried over: " + " | ".join(snapshot["dropped"])
    return text


@step
def handler(event: dict) -> dict:
    settings = get_settings()
    outcome = event["outcome"]
    document = event["document"]
    name = document["notebook_name"]
    evaluation = document.get("evaluation") or {}
    snapshot_uri = (document.get("snapshot") or {}).get("uri")
    state = current_state(name, settings) if outcome not in RECORD_ONLY else evaluation.get("status", "Gone")
    summary = summary_of(outcome, document, state)
    message_id = None
    kind = _KINDS.get(outcome)
    if kind is AlertKind.REMEDIATED and evaluation.get("path") == workflow.ROOT_ACCESS:
        kind = AlertKind.ROOT_ACCESS_FIXED
    if kind is not None and settings.alert_topic_arn:
        alert = Alert(
            kind=kind,
            account=account(document),
            region=settings.region,
            notebook_name=name,
            notebook_arn=document.get("notebook_arn"),
            violations=evaluation.get("violations") or [],
            action=document.get("action"),
            trigger=document.get("trigger"),
            execution_id=document.get("execution_id"),
            summary=summary,
            snapshot_uri=snapshot_uri,
            restore_hint=restore_hint(snapshot_uri, settings.region) if outcome in ("failed", "stuck") else None,
            details={
                "state": state,
                "failed_step": (document.get("failure") or {}).get("Step") or document.get("failed_step"),
                "error": (document.get("failure") or {}).get("Error"),
                "cause": str((document.get("failure") or {}).get("Cause") or "")[:1000] or None,
                "wait": document.get("loop"),
                "preflight_problems": (document.get("preflight") or {}).get("problems"),
                "dropped": (document.get("snapshot") or {}).get("dropped"),
            },
            time=now_iso(),
        )
        message_id = sns.publish_alert(settings.alert_topic_arn, alert, settings.region)
    if settings.audit_table:
        dynamodb.put_audit_record(
            settings.audit_table,
            name,
            record_id(document, outcome),
            {
                "outcome": outcome,
                "execution_id": document.get("execution_id"),
                "time": now_iso(),
                "snapshot_uri": snapshot_uri,
                "summary": summary,
                "state": state,
                "action": document.get("action"),
                "trigger": document.get("trigger"),
                "failure": document.get("failure"),
            },
            settings.region,
        )
    return {"outcome": outcome, "message_id": message_id, "state": state}

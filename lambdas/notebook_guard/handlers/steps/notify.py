"""Notify: record an outcome in the audit table, then send its alert (the closing alert of the execution).

The audit record is written first, so a failing topic cannot lose it; the alert goes to the topic or, when the
topic refuses it even after retries, to the alert dead-letter queue (``services.alerting``). An audit write
that fails after the client's retries does not stop the alert: the alert says so instead.

``gone``, ``compliant``, ``exempt`` and ``duplicate`` are only recorded, unless the intake announced this
execution (remediation-started) or the workflow has already stopped the notebook: then the team is owed an
alert saying how it ended. A ``blocked`` outcome for the same findings as the last blocked alert of this
notebook instance, within the re-alert interval, is recorded and not alerted again (outcome ``blocked-again``).
The notebook's current state is read best-effort: a failure alert must go out even when SageMaker is failing.
"""

from __future__ import annotations

import time

from aws_lambda_powertools.metrics import MetricUnit
from botocore.exceptions import BotoCoreError, ClientError

from notebook_guard.aws import sagemaker
from notebook_guard.aws.errors import error_code, error_message
from notebook_guard.domain import workflow
from notebook_guard.domain.alerts import Alert, AlertKind
from notebook_guard.domain.lease import findings_fingerprint, should_alert_blocked
from notebook_guard.domain.recreate import restore_hint
from notebook_guard.handlers.observability import logger, metrics
from notebook_guard.handlers.steps.common import account, now_iso, step
from notebook_guard.services import audit
from notebook_guard.services.alerting import deliver
from notebook_guard.services.detection import exemption_summary
from notebook_guard.settings import Settings, get_settings

_KINDS = {
    "violation": AlertKind.VIOLATION,
    "quarantined": AlertKind.QUARANTINED,
    "blocked": AlertKind.BLOCKED,
    "stuck": AlertKind.STUCK,
    "remediated": AlertKind.REMEDIATED,
    "failed": AlertKind.FAILED,
    "gone": AlertKind.GONE,
    "compliant": AlertKind.COMPLIANT,
    "exempt": AlertKind.EXEMPT,
    "duplicate": AlertKind.DUPLICATE,
}
RECORD_ONLY = ("gone", "compliant", "exempt", "duplicate")


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
    deleted = document.get("deleted") or {}
    lease = document.get("lease") or {}
    stopped_by_us = (document.get("stopped") or {}).get("stopped_by_us")
    restart = (
        f" The workflow stopped it before this was seen: start it again with aws sagemaker start-notebook-instance "
        f"--notebook-instance-name {document['notebook_name']}."
        if stopped_by_us
        else ""
    )
    exemption = deleted.get("exemption") or (document.get("evaluation") or {}).get("exemption") or {}
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
        "gone": (
            "The notebook no longer exists: it was deleted by someone other than notebook-guard, which did not "
            "recreate it. If it should come back, restore it from the snapshot named below." + restart
            if snapshot.get("uri")
            else "The notebook no longer exists; nothing was done."
        ),
        "compliant": "The notebook passes evaluation now; nothing was done." + restart,
        "exempt": exemption_summary(exemption.get("reason") or "?", exemption.get("until")) + restart,
        "duplicate": f"Execution {lease.get('holder')} already handles this notebook; this execution did nothing.",
    }
    if outcome == "remediated" and document["evaluation"].get("path") == workflow.ROOT_ACCESS:
        return "Root access was disabled in place; the notebook passes evaluation."
    text = texts.get(outcome, outcome)
    if outcome == "violation" and document.get("lease_note"):
        text = f"{text} ({document['lease_note']})"
    if outcome == "remediated" and deleted.get("differences"):
        text += (
            " It had changed between the first snapshot and the delete ("
            + "; ".join(deleted["differences"])
            + "): it was snapshotted again and recreated as it was at the delete."
        )
    if snapshot.get("dropped") and outcome in ("remediated", "failed", "blocked"):
        text += " Not carried over: " + " | ".join(snapshot["dropped"])
    return text


def blocked_verdict(document: dict, settings: Settings) -> tuple[bool, str]:
    problems = (document.get("preflight") or {}).get("problems") or []
    return should_alert_blocked(
        (document.get("lease") or {}).get("previous_blocked"),
        (document.get("evaluation") or {}).get("creation_time"),
        findings_fingerprint(problems),
        int(time.time()),
        settings.lease_limits,
    )


@step
def handler(event: dict) -> dict:
    settings = get_settings()
    outcome = event["outcome"]
    document = event["document"]
    name = document["notebook_name"]
    evaluation = document.get("evaluation") or {}
    snapshot = document.get("snapshot") or {}
    snapshot_uri = snapshot.get("uri")
    touched = bool(document.get("announced") or document.get("stopped"))
    alert_due = outcome not in RECORD_ONLY or touched
    suppressed = ""
    if outcome == "blocked":
        alert_due, suppressed = blocked_verdict(document, settings)
    state = current_state(name, settings) if alert_due or outcome not in RECORD_ONLY else evaluation.get("status")
    summary = summary_of(outcome, document, state or "Gone")
    recorded = outcome if not suppressed else "blocked-again"

    audit_error = None
    try:
        audit.write(
            settings,
            document,
            recorded,
            {
                "outcome": recorded,
                "snapshot_uri": snapshot_uri,
                "version_id": snapshot.get("version_id"),
                "summary": summary,
                "state": state,
                "action": document.get("action"),
                "trigger": document.get("trigger"),
                "failure": document.get("failure"),
                "alert_suppressed": suppressed or None,
            },
        )
    except (ClientError, BotoCoreError) as error:  # the alert must still go out; it carries this error
        audit_error = f"{error_code(error) or type(error).__name__}: {error_message(error)}"
        logger.error("Audit record not written", extra={"error": audit_error})

    delivery = {}
    kind = _KINDS.get(outcome)
    if kind is AlertKind.REMEDIATED and evaluation.get("path") == workflow.ROOT_ACCESS:
        kind = AlertKind.ROOT_ACCESS_FIXED
    if kind is not None and alert_due and settings.alert_topic_arn:
        alert = Alert(
            kind=kind,
            account=account(document),
            region=settings.region,
            notebook_name=name,
            notebook_arn=document.get("notebook_arn"),
            violations=evaluation.get("violations") or [],
            exempt=outcome == "exempt",
            action=document.get("action"),
            trigger=document.get("trigger"),
            execution_id=document.get("execution_id"),
            summary=summary,
            snapshot_uri=snapshot_uri,
            restore_hint=(
                restore_hint(snapshot_uri, settings.region, snapshot.get("version_id"))
                if outcome in ("failed", "stuck", "gone")
                else None
            ),
            details={
                "state": state,
                "failed_step": (document.get("failure") or {}).get("Step") or document.get("failed_step"),
                "error": (document.get("failure") or {}).get("Error"),
                "cause": str((document.get("failure") or {}).get("Cause") or "")[:1000] or None,
                "wait": document.get("loop"),
                "preflight_problems": (document.get("preflight") or {}).get("problems"),
                "dropped": snapshot.get("dropped"),
                "snapshot_version_id": snapshot.get("version_id"),
                "differences": (document.get("deleted") or {}).get("differences") or None,
                "exemption_problem": evaluation.get("exemption_problem"),
                "lease_note": document.get("lease_note") or None,
                "audit_error": audit_error,
            },
            time=now_iso(),
        )
        delivery = deliver(alert, settings).to_dict()
        if delivery.get("parked"):
            logger.error("Alert parked in the dead-letter queue", extra={"publish_error": delivery["publish_error"]})
            metrics.add_metric(name="AlertsParked", unit=MetricUnit.Count, value=1)
    return {
        "outcome": recorded,
        "alerted": bool(delivery.get("message_id") or delivery.get("parked")),
        "state": state,
        "audit_error": audit_error,
        **delivery,
    }

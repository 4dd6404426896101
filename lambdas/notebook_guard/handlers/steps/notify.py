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
from notebook_guard.domain import approval, workflow
from notebook_guard.domain.alerts import Alert, AlertKind
from notebook_guard.domain.lease import findings_fingerprint, should_alert_blocked
from notebook_guard.domain.recreate import restore_hint
from notebook_guard.handlers.observability import logger, metrics
from notebook_guard.handlers.steps.common import account, now_iso, step
from notebook_guard.services import audit, findings
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
    decided = approval.decision_of((document.get("approval") or {}).get("decision"))
    said = approval.describe(decided, (document.get("approval") or {}).get("timeout_seconds"))
    if decided and not decided["approved"] and outcome == "violation":
        texts["violation"] = f"{said} Without an approval the action is 'notify': nothing was changed."
    elif decided and not decided["approved"] and outcome == "quarantined":
        texts["quarantined"] = f"{said} Without an approval the notebook was stopped instead (quarantined); " + (
            f"it is now {state}. Nothing was deleted."
        )
    elif said:
        texts = {k: f"{v} {said}" for k, v in texts.items()}
    if outcome == "remediated" and document["evaluation"].get("path") == workflow.ROOT_ACCESS:
        return "Root access was disabled in place; the notebook passes evaluation." + (f" {said}" if said else "")
    text = texts.get(outcome, outcome)
    if outcome == "violation" and document.get("lease_note"):
        text = f"{text} ({document['lease_note']})"
    if outcome == "remediated" and deleted.get("differences"):
        text += (
            " It had changed between the first snapshot and the delete ("
            + "; ".join(deleted["differences"])
            + "): it was snapshotted again and recreated as it was at the delete."
        )
    attempts = (document.get("retry") or {}).get("attempts") or []
    created = document.get("created") or {}
    if outcome == "remediated" and created.get("subnet_id") and document["evaluation"].get("path") == workflow.RECREATE:
        text += f" Subnet {created['subnet_id']} ({created.get('availability_zone') or '?'})"
        text += f", after {len(attempts)} attempt(s) that failed for lack of capacity." if attempts else "."
    if outcome == "failed" and attempts:
        text += " Create attempts: " + "; ".join(
            f"{a.get('subnet_id')} ({a.get('availability_zone')}): {a.get('failure_reason')}" for a in attempts
        )
    dropped = dropped_of(document)
    if dropped and outcome in ("remediated", "failed", "blocked"):
        text += " Not carried over: " + " | ".join(dropped)
    return text


def dropped_of(document: dict) -> list[str]:
    """What the recreate does not carry over: the snapshot's list, with the address type as Create chose it for the
    subnet it used (the snapshot planned the first target subnet)."""
    dropped = list((document.get("snapshot") or {}).get("dropped") or [])
    created = document.get("created") or {}
    if "address_note" in created:
        dropped = [d for d in dropped if not d.startswith("IpAddressType ")]
        dropped += [created["address_note"]] if created["address_note"] else []
    return dropped


def internet_details(preflight: dict) -> dict | None:
    """What the notebook fetches from the internet and the fixes, when the Preflight found any."""
    found = preflight.get("internet") or {}
    if not found.get("evidence"):
        return None
    return {k: found.get(k) for k in ("needed", "evidence", "fixes", "fix_labels", "policy")}


def blocked_verdict(document: dict, settings: Settings) -> tuple[bool, str]:
    problems = (document.get("preflight") or {}).get("problems") or []
    return should_alert_blocked(
        (document.get("lease") or {}).get("previous_blocked"),
        (document.get("evaluation") or {}).get("creation_time"),
        findings_fingerprint(problems),
        int(time.time()),
        settings.lease_limits,
    )


def follow_findings(outcome: str, document: dict, settings: Settings, summary: str) -> dict:
    """Write the outcome on the notebook's Security Hub findings (and import our own finding): recorded, never
    raised. Security Hub not enabled is said once per account and region."""
    report = findings.follow(outcome, document, settings, summary)
    result = report.to_dict()
    started = (document.get("lease") or {}).get("findings") or {}
    if started.get("error") or started.get("unprocessed"):  # what marking them NOTIFIED could not do
        result["at_start"] = {k: started[k] for k in ("error", "unprocessed") if started.get(k)}
    if report.not_enabled or started.get("not_enabled"):
        result["not_enabled"] = True
        result["said_now"] = findings.first_time_not_enabled(account(document), settings)
    elif report.problem or result.get("at_start"):
        logger.warning("Security Hub findings not all updated", extra={"findings_report": result})
        metrics.add_metric(name="FindingUpdatesFailed", unit=MetricUnit.Count, value=1)
    own = findings.import_own(outcome, document, settings, summary)
    if own:
        result["own_finding"] = own
    return result


def security_hub_sentence(result: dict) -> str:
    """What the alert says about Security Hub: nothing when all went well (or was said before)."""
    if result.get("not_enabled"):
        return (
            " Security Hub is not enabled in this account and region, so no finding was updated (said once)."
            if result.get("said_now")
            else ""
        )
    at_start = result.get("at_start") or {}
    unprocessed = (result.get("unprocessed") or []) + (at_start.get("unprocessed") or [])
    problems = [f"{u['id']}: {u['error_code']}" for u in unprocessed]
    problems[:0] = [str(e) for e in (result.get("error"), at_start.get("error")) if e]
    own = result.get("own_finding") or {}
    if own.get("error") or own.get("failed"):
        problems.append(f"notebook-guard's own finding was not imported ({own.get('error') or own.get('failed')})")
    return f" Security Hub findings were not all updated: {'; '.join(problems)[:400]}." if problems else ""


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
    if outcome == "blocked" and not touched:  # an announced execution owes its closing alert, blocked or not
        alert_due, suppressed = blocked_verdict(document, settings)
    state = current_state(name, settings) if alert_due or outcome not in RECORD_ONLY else evaluation.get("status")
    summary = summary_of(outcome, document, state or "Gone")
    recorded = outcome if not suppressed else "blocked-again"
    security_hub = follow_findings(recorded, document, settings, summary)
    summary += security_hub_sentence(security_hub)
    decided = approval.decision_of((document.get("approval") or {}).get("decision"))

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
                "approval": decided,
                "security_hub": security_hub,
            },
        )
    except (ClientError, BotoCoreError) as error:  # the alert must still go out; it carries this error
        audit_error = f"{error_code(error) or type(error).__name__}: {error_message(error)}"
        logger.error("Audit record not written", extra={"error": audit_error})

    delivery = {}
    preflight = document.get("preflight") or {}
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
                "preflight_problems": preflight.get("problems"),
                "preflight_warnings": preflight.get("warnings") or None,
                "skipped_subnets": preflight.get("skipped_subnets") or None,
                "internet": internet_details(preflight),
                "subnet_id": (document.get("created") or {}).get("subnet_id"),
                "create_attempts": (document.get("retry") or {}).get("attempts"),
                "dropped": dropped_of(document),
                "snapshot_version_id": snapshot.get("version_id"),
                "differences": (document.get("deleted") or {}).get("differences") or None,
                "exemption_problem": evaluation.get("exemption_problem"),
                "lease_note": document.get("lease_note") or None,
                "audit_error": audit_error,
                "approval": decided,
                "security_hub": security_hub or None,
            },
            time=now_iso(),
        )
        delivery = deliver(alert, settings).to_dict()
        if delivery.get("parked"):
            logger.error("Alert parked in the dead-letter queue", extra={"publish_error": delivery["publish_error"]})
            metrics.add_metric(name="AlertsParked", unit=MetricUnit.Count, value=1)
    return {
        "outcome": recorded,
        "security_hub": security_hub,
        "alerted": bool(delivery.get("message_id") or delivery.get("parked")),
        "state": state,
        "audit_error": audit_error,
        **delivery,
    }

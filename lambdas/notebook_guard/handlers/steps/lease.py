"""Lease: the workflow's first check that it is the one workflow for its notebook, and its release at the end.

``{"op": "hold", "document": ...}`` confirms the lease the intake or the sweep acquired for this execution, or
acquires it for an execution a person started (no attempt bound for those: a person decided). A lease held by
another execution that may still act answers ``held: false``; the state machine then records ``duplicate``.

``{"op": "release", "document": ...}`` runs on every terminal path of the state machine, after the closing
alert. It releases only a lease this execution holds, and remembers what the next trigger needs: the outcome,
and for a blocked alert its findings (so the same findings are not re-alerted before the re-alert interval).
"""

from __future__ import annotations

from aws_lambda_powertools.metrics import MetricUnit

from notebook_guard.domain import workflow
from notebook_guard.domain.findings import STARTED
from notebook_guard.domain.lease import Release, Request, Verdict, exemption_fingerprint, findings_fingerprint
from notebook_guard.handlers.observability import logger, metrics
from notebook_guard.handlers.steps.common import step
from notebook_guard.services import findings
from notebook_guard.services.coordination import Coordinator
from notebook_guard.settings import Settings, get_settings


@step
def handler(event: dict) -> dict:
    document = event["document"]
    if event.get("op") == "release":
        # The execution's id comes from the state machine's context: a path that failed before Evaluate wrote
        # the document still releases what the intake acquired for it.
        return release(document, event.get("execution_id") or document.get("execution_id") or "")
    return hold(document)


def hold(document: dict) -> dict:
    settings = get_settings()
    holder = document.get("execution_id") or ""
    arn = document.get("notebook_arn")
    if not arn:
        return {"held": True, "holder": holder, "reason": "no notebook ARN: nothing to coordinate"}
    evaluation = document.get("evaluation") or {}
    request = Request(
        holder=holder,
        instance=evaluation.get("creation_time") or "",
        action=document.get("action") or "",
        trigger=document.get("trigger") or "manual",
        enforce_bounds=False,  # the trigger that started this execution applied them; a person's start is deliberate
    )
    coordinator = Coordinator(settings)
    decision = coordinator.acquire(arn, request)
    held = decision.verdict is Verdict.GRANTED
    return {
        "held": held,
        "holder": holder if held else decision.holder,
        "reason": decision.reason,
        "taken_over_from": decision.taken_over_from,
        # The last blocked alert of this notebook: Notify does not repeat it for the same findings.
        "previous_blocked": coordinator.record(arn).blocked if held else None,
        # The notebook's Security Hub findings: NOTIFIED, naming this execution (only when it will act).
        "findings": started_on_findings(document, settings) if held else None,
    }


def started_on_findings(document: dict, settings: Settings) -> dict | None:
    """Mark the notebook's open control findings NOTIFIED; a Security Hub failure is recorded, never raised."""
    if (document.get("evaluation") or {}).get("path") not in (workflow.RECREATE, workflow.ROOT_ACCESS):
        return None
    report = findings.follow(STARTED, document, settings)
    if report.problem:
        logger.warning("Security Hub findings not marked NOTIFIED", extra={"findings_report": report.to_dict()})
        metrics.add_metric(name="FindingUpdatesFailed", unit=MetricUnit.Count, value=1)
    return report.to_dict()


def release(document: dict, holder: str) -> dict:
    """Release the lease if this execution holds it (the write is conditional on that, whatever the path)."""
    settings = get_settings()
    notified = document.get("notified") or {}
    outcome = notified.get("outcome") or "unknown"
    arn = document.get("notebook_arn")
    if not arn or not holder:
        return {"released": False, "outcome": outcome, "reason": "no notebook ARN or execution: nothing to release"}
    instance = (document.get("evaluation") or {}).get("creation_time")
    fingerprint = None
    if outcome == "blocked" and notified.get("alerted"):
        fingerprint = findings_fingerprint((document.get("preflight") or {}).get("problems") or [])
    coordinator = Coordinator(settings)
    released = coordinator.release(arn, holder, Release(outcome, fingerprint, instance))  # False: not the holder
    if outcome == "exempt" and notified.get("alerted"):
        # The closing alert announced the exemption: the next sweep need not announce it again.
        deleted = document.get("deleted") or {}
        exemption = deleted.get("exemption") or (document.get("evaluation") or {}).get("exemption") or {}
        coordinator.announce_exemption(
            arn, exemption_fingerprint(instance, exemption.get("reason") or "", exemption.get("until"))
        )
    return {"released": released, "outcome": outcome}

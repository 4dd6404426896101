"""Intake: a CloudTrail CreateNotebookInstance record or a native state-change event -> evaluate -> hand on.

The trigger says what happened: a CloudTrail create, or a state change of a notebook created within the restart
window of the event, is ``create`` (the event action); a state change of an older notebook is ``restart`` (the
restart action, by default the sweep's), so an owner starting a notebook that predates the stack does not get
it deleted. Events naming another account or region than this function's are ignored.

Bad input (malformed, unrelated, a failed API call) is logged with its reason, counted and dropped: the
function returns normally so EventBridge does not retry it. AWS errors propagate, so EventBridge retries
the event and finally parks it in the dead-letter queue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from notebook_guard.aws import sagemaker
from notebook_guard.domain import findings
from notebook_guard.domain.models import Trigger
from notebook_guard.domain.triggers import state_change_trigger
from notebook_guard.handlers.observability import logger, metrics, tracer
from notebook_guard.models.events import (
    CLOUDTRAIL_DETAIL_TYPE,
    FINDINGS_IMPORTED_DETAIL_TYPE,
    STATE_CHANGE_DETAIL_TYPE,
    CloudTrailCreateNotebookEvent,
    NotebookStateChangeEvent,
    SecurityHubFindingsImportedEvent,
)
from notebook_guard.services import detection
from notebook_guard.settings import get_settings


class InvalidEvent(ValueError):
    """The event cannot point us at a notebook; the message says why."""


@dataclass(frozen=True)
class Pointer:
    """What an event tells us: which notebook, where, when, and whether it claims a creation."""

    name: str | None  # None: a finding names the notebook by ARN only (resolved through the API)
    source: dict
    account: str
    region: str
    time: datetime
    created: bool  # a CloudTrail CreateNotebookInstance record (a state change is judged by CreationTime)
    arn: str | None = None
    finding: bool = False  # a Security Hub control finding


def notebook_pointers(event: Any) -> list[Pointer]:
    """The notebooks an event points at (one, or for a finding event every notebook of its usable findings)."""
    if isinstance(event, dict) and event.get("detail-type") == FINDINGS_IMPORTED_DETAIL_TYPE:
        return finding_pointers(event)
    return [notebook_pointer(event)]


def finding_pointers(event: dict) -> list[Pointer]:
    """One pointer per notebook of the event's SageMaker.1/.2/.3 findings that are FAILED, ACTIVE and NEW (what the
    rule matches on, checked again: a finding in another state is someone's decision, or our own update)."""
    try:
        parsed = parse(event=event, model=SecurityHubFindingsImportedEvent)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'event'}: {e['msg']}" for e in error.errors()[:5])
        raise InvalidEvent(f"malformed {FINDINGS_IMPORTED_DETAIL_TYPE!r} event: {problems}") from None
    pointers: dict[str, Pointer] = {}
    skipped = []
    for finding in parsed.detail.findings:
        raw = finding.model_dump(exclude_none=True)
        state = (
            (finding.Compliance.Status if finding.Compliance else None),
            finding.RecordState,
            (finding.Workflow.Status if finding.Workflow else None),
        )
        if not findings.is_notebook_control_finding(raw):
            skipped.append(f"{finding.Id}: not a SageMaker.1/.2/.3 finding about a notebook instance")
            continue
        if state != ("FAILED", "ACTIVE", "NEW"):
            skipped.append(f"{finding.Id}: compliance/record/workflow state is {'/'.join(map(str, state))}")
            continue
        for arn in findings.notebook_arns_of(raw):
            source = {
                "event_id": parsed.id,
                "detail_type": FINDINGS_IMPORTED_DETAIL_TYPE,
                "finding_id": finding.Id,
                "control_id": findings.control_id_of(raw),
                "generator_id": finding.GeneratorId,
            }
            name = findings.notebook_name_in(raw, arn)
            # Where the notebook is, by its ARN: an aggregation region also receives other regions' findings.
            parts = arn.split(":")
            account, region = (parts[4], parts[3]) if len(parts) > 5 else (parsed.account, parsed.region)
            pointers.setdefault(
                arn, Pointer(name, source, account, region, parsed.time, created=False, arn=arn, finding=True)
            )
    if not pointers:
        raise InvalidEvent("no usable finding: " + "; ".join(skipped)[:500])
    if skipped:
        logger.info("Findings skipped", extra={"skipped": skipped})
    return list(pointers.values())


def notebook_pointer(event: Any) -> Pointer:
    """The notebook an event points at, and what to remember of the event. Raises InvalidEvent."""
    if not isinstance(event, dict):
        raise InvalidEvent(f"event is a {type(event).__name__}, not a JSON object")
    detail_type = event.get("detail-type")
    try:
        if detail_type == CLOUDTRAIL_DETAIL_TYPE:
            parsed = parse(event=event, model=CloudTrailCreateNotebookEvent)
            call = parsed.detail
            if call.errorCode:
                raise InvalidEvent(f"the API call failed ({call.errorCode}): no notebook was created")
            source = {
                "event_id": parsed.id,
                "detail_type": detail_type,
                "cloudtrail_event_id": call.eventID,
                "caller": (call.model_extra or {}).get("userIdentity", {}).get("arn"),
            }
            if call.awsRegion != parsed.region:
                raise InvalidEvent(f"the record's awsRegion {call.awsRegion} differs from the event's {parsed.region}")
            name = call.requestParameters.notebookInstanceName
            return Pointer(name, source, parsed.account, parsed.region, parsed.time, created=True)
        if detail_type == STATE_CHANGE_DETAIL_TYPE:
            parsed = parse(event=event, model=NotebookStateChangeEvent)
            source = {
                "event_id": parsed.id,
                "detail_type": detail_type,
                "status": parsed.detail.NotebookInstanceStatus,
            }
            return Pointer(
                parsed.detail.NotebookInstanceName, source, parsed.account, parsed.region, parsed.time, created=False
            )
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'event'}: {e['msg']}" for e in error.errors()[:5])
        raise InvalidEvent(f"malformed {detail_type!r} event: {problems}") from None
    except (TypeError, AttributeError) as error:
        raise InvalidEvent(f"malformed {detail_type!r} event: {error}") from None
    raise InvalidEvent(f"unrelated event (detail-type {str(detail_type)[:80]!r})")


def process(event: Any, function_account: str | None = None) -> dict:
    settings = get_settings()
    try:
        pointers = notebook_pointers(event)
        ours = [p for p in pointers if not foreign(p, settings.region, function_account)]
        if not ours:
            raise InvalidEvent(foreign(pointers[0], settings.region, function_account) or "no notebook of ours")
    except InvalidEvent as error:
        logger.warning("Ignoring event", extra={"reason": str(error)})
        metrics.add_metric(name="InvalidEvents", unit=MetricUnit.Count, value=1)
        return {"outcome": "ignored", "reason": str(error)}
    results = [process_pointer(pointer, settings) for pointer in ours]
    if len(results) == 1:
        return results[0]
    return {"outcome": "several", "results": results}


def process_pointer(pointer: Pointer, settings) -> dict:
    source = pointer.source
    name = pointer.name
    if pointer.finding and pointer.arn:
        name = sagemaker.name_for_arn(pointer.arn, pointer.name, settings.region)
        if name is None:
            logger.warning("Notebook of the finding not found", extra={"reason": "notebook not found", **source})
            metrics.add_metric(name="NotebooksGone", unit=MetricUnit.Count, value=1)
            return {"outcome": detection.Outcome.GONE.value, "notebook_arn": pointer.arn}
    logger.append_keys(notebook_name=name)
    evaluation = detection.inspect(name, settings)
    if evaluation is None:
        logger.warning("Notebook not found: deleted after the event", extra={"reason": "notebook not found"})
        metrics.add_metric(name="NotebooksGone", unit=MetricUnit.Count, value=1)
        return {"outcome": detection.Outcome.GONE.value, "notebook_name": name}

    metrics.add_metric(name="NotebooksEvaluated", unit=MetricUnit.Count, value=1)
    if evaluation.violations:
        metrics.add_metric(name="ViolationsFound", unit=MetricUnit.Count, value=len(evaluation.violations))
    trigger = trigger_of(pointer, evaluation.notebook.creation_time, settings.restart_window_seconds)
    source["trigger"] = trigger.value
    result = detection.hand_on(evaluation, trigger, settings, source)
    if result.outcome is detection.Outcome.WORKFLOW_STARTED:
        metrics.add_metric(name="RemediationsStarted", unit=MetricUnit.Count, value=1)
    if result.details.get("parked"):
        metrics.add_metric(name="AlertsParked", unit=MetricUnit.Count, value=1)
    logger.info("Notebook evaluated", extra={"result": result.to_dict(), "trigger": trigger.value})
    return {**result.to_dict(), "trigger": trigger.value}


def foreign(pointer: Pointer, region: str, account: str | None) -> str | None:
    """Why an event about another account or region is not ours to act on (None: it is ours)."""
    if pointer.region != region:
        return f"the event is about region {pointer.region}, this function serves {region}"
    if account and pointer.account != account:
        return f"the event is about account {pointer.account}, this function serves {account}"
    return None


def trigger_of(pointer: Pointer, creation_time: str | None, window_seconds: int) -> Trigger:
    if pointer.finding:
        return Trigger.FINDING
    if pointer.created:
        return Trigger.CREATE
    created = datetime.fromisoformat(creation_time) if creation_time else None
    return state_change_trigger(created, pointer.time, timedelta(seconds=window_seconds))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.EVENT_BRIDGE, clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict, context: LambdaContext) -> dict:
    arn = getattr(context, "invoked_function_arn", "") or ""
    return process(event, arn.split(":")[4] if arn.count(":") >= 5 else None)

"""Resume: SageMaker's state-change events and a schedule end the workflow's waits (callback tasks).

- A ``SageMaker Notebook Instance State Change`` event (any status) is a hint that a notebook moved: if a wait is
  registered for it, the notebook is Described and the wait answered when that ends it. Duplicate, late,
  out-of-order and stale events cost a Describe and change nothing: the answer comes from Describe, a task answers
  once (a second answer finds the token closed), and the incarnation is checked.
- A scheduled event (``Scheduled Event`` from ``aws.events``) reconciles: every registered wait is resolved the same
  way, so a wait whose events were lost ends within one period, before its task's heartbeat runs out.

Bad input (malformed events, other accounts or regions) is logged with its reason, counted and dropped. AWS errors
propagate, so EventBridge retries the event (and parks it in the dead-letter queue); the reconciler resolves every
record it can and then raises the first transient error, so the invocation is retried. Task tokens are never
logged: records are logged without them (``WaitRecord.public``).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import ClientError

from notebook_guard.aws.errors import error_code, is_transient
from notebook_guard.domain.callbacks import EVENT, RECONCILER
from notebook_guard.domain.errors import TransientAwsError
from notebook_guard.handlers.intake import InvalidEvent, foreign, notebook_pointer
from notebook_guard.handlers.observability import logger, metrics, tracer
from notebook_guard.models.events import SCHEDULED_DETAIL_TYPE, STATE_CHANGE_DETAIL_TYPE
from notebook_guard.services import callbacks
from notebook_guard.settings import Settings, get_settings

_METRIC = {
    callbacks.COMPLETED: "WaitsResumed",
    callbacks.ALREADY_CLOSED: "WaitsAlreadyClosed",
    callbacks.OTHER_INCARNATION: "StaleEvents",
    callbacks.EXPIRED: "WaitsExpired",
}


def process(event: Any, function_account: str | None = None) -> dict:
    settings = get_settings()
    if isinstance(event, dict) and event.get("detail-type") == SCHEDULED_DETAIL_TYPE and event.get("source") == (
        "aws.events"
    ):
        return reconcile(settings)
    try:
        if not isinstance(event, dict) or event.get("detail-type") != STATE_CHANGE_DETAIL_TYPE:
            raise InvalidEvent(f"unrelated event (detail-type {str((event or {}).get('detail-type'))[:80]!r})")
        pointer = notebook_pointer(event)
        elsewhere = foreign(pointer, settings.region, function_account)
        if elsewhere:
            raise InvalidEvent(elsewhere)
        arn = notebook_arn_of(event)
    except (InvalidEvent, AttributeError, TypeError) as error:
        logger.warning("Ignoring event", extra={"reason": str(error)})
        metrics.add_metric(name="InvalidEvents", unit=MetricUnit.Count, value=1)
        return {"outcome": "ignored", "reason": str(error)}

    logger.append_keys(notebook_name=pointer.name, event_status=pointer.source.get("status"))
    waits = callbacks.Waits(settings)
    record = waits.find(arn)
    if record is None:
        return {"outcome": "no-wait", "notebook_name": pointer.name}
    outcome = waits.resolve(record, EVENT)
    note(outcome, record)
    return {"outcome": outcome, "notebook_name": pointer.name, "until": record.until}


def reconcile(settings: Settings) -> dict:
    """Resolve every registered wait; one record's failure does not stop the others."""
    waits = callbacks.Waits(settings)
    outcomes: dict[str, int] = {}
    first_transient: ClientError | None = None
    for record in waits.pending():
        try:
            outcome = waits.resolve(record, RECONCILER)
        except ClientError as error:
            logger.warning(
                "Could not resolve a wait", extra={"wait": record.public(), "error": error_code(error)}
            )
            if is_transient(error):
                first_transient = first_transient or error
                outcome = "retry"
            else:
                outcome = "error"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        note(outcome, record)
    logger.info("Reconciled the registered waits", extra={"outcomes": outcomes})
    if first_transient is not None:
        raise TransientAwsError(f"reconciling waits: {error_code(first_transient)}") from first_transient
    return {"outcome": "reconciled", "waits": outcomes}


def note(outcome: str, record) -> None:
    if outcome in _METRIC:
        metrics.add_metric(name=_METRIC[outcome], unit=MetricUnit.Count, value=1)
    if outcome in (callbacks.COMPLETED, callbacks.ALREADY_CLOSED, callbacks.OTHER_INCARNATION):
        logger.info("Wait resolved", extra={"outcome": outcome, "wait": record.public()})


def notebook_arn_of(event: dict) -> str:
    """The notebook's ARN as SageMaker puts it in the event (the key its waits are registered under)."""
    detail = event.get("detail") or {}
    arn = detail.get("NotebookInstanceArn") or next(iter(event.get("resources") or []), None)
    if not isinstance(arn, str) or ":notebook-instance/" not in arn:
        raise InvalidEvent("the event names no notebook instance ARN")
    return arn


@logger.inject_lambda_context(correlation_id_path=correlation_paths.EVENT_BRIDGE, clear_state=True, log_event=False)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict, context: LambdaContext) -> dict:
    arn = getattr(context, "invoked_function_arn", "") or ""
    return process(event, arn.split(":")[4] if arn.count(":") >= 5 else None)

"""Intake: a CloudTrail CreateNotebookInstance record or a native state-change event -> evaluate -> hand on.

Bad input (malformed, unrelated, a failed API call) is logged with its reason, counted and dropped: the
function returns normally so EventBridge does not retry it. AWS errors propagate, so EventBridge retries
the event and finally parks it in the dead-letter queue.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from notebook_guard.domain.models import Trigger
from notebook_guard.handlers.observability import logger, metrics, tracer
from notebook_guard.models.events import (
    CLOUDTRAIL_DETAIL_TYPE,
    STATE_CHANGE_DETAIL_TYPE,
    CloudTrailCreateNotebookEvent,
    NotebookStateChangeEvent,
)
from notebook_guard.services import detection
from notebook_guard.settings import get_settings


class InvalidEvent(ValueError):
    """The event cannot point us at a notebook; the message says why."""


def notebook_pointer(event: Any) -> tuple[str, dict]:
    """The notebook name an event points at, and what to remember of the event. Raises InvalidEvent."""
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
            return call.requestParameters.notebookInstanceName, source
        if detail_type == STATE_CHANGE_DETAIL_TYPE:
            parsed = parse(event=event, model=NotebookStateChangeEvent)
            source = {
                "event_id": parsed.id,
                "detail_type": detail_type,
                "status": parsed.detail.NotebookInstanceStatus,
            }
            return parsed.detail.NotebookInstanceName, source
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'event'}: {e['msg']}" for e in error.errors()[:5])
        raise InvalidEvent(f"malformed {detail_type!r} event: {problems}") from None
    except (TypeError, AttributeError) as error:
        raise InvalidEvent(f"malformed {detail_type!r} event: {error}") from None
    raise InvalidEvent(f"unrelated event (detail-type {str(detail_type)[:80]!r})")


def process(event: Any) -> dict:
    settings = get_settings()
    try:
        name, source = notebook_pointer(event)
    except InvalidEvent as error:
        logger.warning("Ignoring event", extra={"reason": str(error)})
        metrics.add_metric(name="InvalidEvents", unit=MetricUnit.Count, value=1)
        return {"outcome": "ignored", "reason": str(error)}

    logger.append_keys(notebook_name=name)
    evaluation = detection.inspect(name, settings)
    if evaluation is None:
        logger.warning("Notebook not found: deleted after the event", extra={"reason": "notebook not found"})
        metrics.add_metric(name="NotebooksGone", unit=MetricUnit.Count, value=1)
        return {"outcome": detection.Outcome.GONE.value, "notebook_name": name}

    metrics.add_metric(name="NotebooksEvaluated", unit=MetricUnit.Count, value=1)
    if evaluation.violations:
        metrics.add_metric(name="ViolationsFound", unit=MetricUnit.Count, value=len(evaluation.violations))
    result = detection.hand_on(evaluation, Trigger.EVENT, settings, source)
    if result.outcome is detection.Outcome.WORKFLOW_STARTED:
        metrics.add_metric(name="RemediationsStarted", unit=MetricUnit.Count, value=1)
    logger.info("Notebook evaluated", extra={"result": result.to_dict()})
    return result.to_dict()


@logger.inject_lambda_context(correlation_id_path=correlation_paths.EVENT_BRIDGE, clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict, context: LambdaContext) -> dict:
    return process(event)

"""What every step shares: Powertools wrapping, AWS error translation, reading the execution document."""

from __future__ import annotations

import functools
from collections.abc import Callable

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import ClientError

from notebook_guard.aws import sagemaker
from notebook_guard.aws.errors import error_code, error_message, is_transient
from notebook_guard.domain.errors import AwsRequestFailed, NotebookChanged, TransientAwsError
from notebook_guard.handlers.observability import logger, metrics, tracer
from notebook_guard.services.audit import now_iso, record_id
from notebook_guard.services.detection import account_of
from notebook_guard.services.incarnation import ensure_ours
from notebook_guard.services.snapshots import creation_time_of

__all__ = [
    "account",
    "creation_time_of",
    "describe_same_notebook",
    "ensure_ours",
    "ensure_same_notebook",
    "now_iso",
    "record_id",
]


def step(function: Callable[[dict], dict] | None = None, *, log_event: bool | None = None):
    """Wrap a step: logging with the notebook's name, metrics, tracing, and AWS errors renamed by condition.

    A ClientError becomes ``TransientAwsError`` (throttling, 5xx: the state machine retries the step) or
    ``AwsRequestFailed`` (permanent: the state machine goes to its failure path). Either way it is raised,
    never swallowed. ``log_event=False`` for a step whose event carries a secret (a task token): the event is
    then never logged, whatever ``POWERTOOLS_LOGGER_LOG_EVENT`` says.
    """

    def wrap(function: Callable[[dict], dict]) -> Callable[[dict, LambdaContext], dict]:
        @logger.inject_lambda_context(clear_state=True, log_event=log_event)
        @tracer.capture_lambda_handler(capture_response=False)
        @metrics.log_metrics
        @functools.wraps(function)
        def handler(event: dict, context: LambdaContext) -> dict:
            document = event.get("document", event) if isinstance(event, dict) else {}
            logger.append_keys(
                notebook_name=document.get("notebook_name"), step=function.__module__.rsplit(".", 1)[-1]
            )
            metrics.add_metric(name="WorkflowSteps", unit=MetricUnit.Count, value=1)
            try:
                return function(event)
            except ClientError as error:
                operation = error.operation_name if hasattr(error, "operation_name") else "?"
                text = f"{operation}: {error_code(error)}: {error_message(error)}"
                logger.warning("AWS call failed", extra={"error": text, "transient": is_transient(error)})
                if is_transient(error):
                    raise TransientAwsError(text) from error
                raise AwsRequestFailed(text) from error

        return handler

    return wrap(function) if function is not None else wrap


def ensure_same_notebook(document: dict, describe: dict) -> None:
    """Refuse to act on another incarnation of the name (deleted and recreated by someone else meanwhile)."""
    expected = (document.get("evaluation") or {}).get("creation_time")
    current = creation_time_of(describe)
    if expected and current and expected != current:
        raise NotebookChanged(
            f"notebook {describe['NotebookInstanceName']} was created at {current}, the workflow started with "
            f"the one created at {expected}: refusing to touch it"
        )


def describe_same_notebook(document: dict, region: str | None) -> dict | None:
    """The notebook's Describe output now, or None if it is gone; refuses another incarnation of the name."""
    describe = sagemaker.describe_notebook(document["notebook_name"], region)
    if describe is not None:
        ensure_same_notebook(document, describe)
    return describe


def account(document: dict) -> str:
    return account_of(document.get("notebook_arn") or "")

"""Scheduled sweep: every notebook in the region, evaluated and handed on per the sweep's action."""

from __future__ import annotations

from collections import Counter

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from notebook_guard.domain.models import Evaluation, Trigger
from notebook_guard.handlers.observability import logger, metrics, tracer
from notebook_guard.services import detection
from notebook_guard.services.scan import scan
from notebook_guard.settings import Settings, get_settings


def run_sweep(settings: Settings) -> dict:
    """Scan and hand on every actionable violator; returns counts and the notebooks that errored."""

    def hand_on(evaluation: Evaluation) -> detection.Result | None:
        # Violators are handed on; exempt ones too, so that an exemption is announced the first time it is honoured.
        if evaluation.compliant:
            return None
        return detection.hand_on(evaluation, Trigger.SWEEP, settings, {"detail_type": "Scheduled Event"})

    counts: Counter[str] = Counter()
    handed_on: Counter[str] = Counter()  # outcome of handing an actionable violator on
    errors: list[dict] = []
    for item in scan(settings, then=hand_on):
        counts["listed"] += 1
        if item.error:
            counts["errors"] += 1
            errors.append({"notebook_name": item.name, "error": item.error})
            logger.warning("Notebook could not be evaluated", extra={"notebook_name": item.name, "error": item.error})
            continue
        if item.gone:
            counts["gone"] += 1
            continue
        evaluation = item.evaluation
        counts["evaluated"] += 1
        counts["violations"] += len(evaluation.violations)
        if evaluation.compliant:
            counts["compliant"] += 1
        elif evaluation.exempt:
            counts["exempt"] += 1
        else:
            counts["violating"] += 1
        if isinstance(item.extra, detection.Result):
            if item.extra.outcome is detection.Outcome.EXEMPT:
                if item.extra.details.get("exemption_announced") == "now":
                    counts["exemptions_announced"] += 1
            else:
                handed_on[item.extra.outcome.value] += 1

    metrics.add_metric(name="NotebooksEvaluated", unit=MetricUnit.Count, value=counts["evaluated"])
    metrics.add_metric(name="ViolationsFound", unit=MetricUnit.Count, value=counts["violations"])
    metrics.add_metric(name="SweepErrors", unit=MetricUnit.Count, value=counts["errors"])
    summary = {
        "action": settings.sweep_action.value,
        "counts": dict(counts),
        "handed_on": dict(handed_on),
        "errors": errors[:50],
    }
    logger.info("Sweep finished", extra=summary)
    return summary


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict, context: LambdaContext) -> dict:
    return run_sweep(get_settings())

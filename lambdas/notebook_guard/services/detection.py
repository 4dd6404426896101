"""Inspect one notebook and hand a violator on: to the remediation workflow, or straight to an alert."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum

from notebook_guard.aws import sagemaker, sns, stepfunctions
from notebook_guard.domain.alerts import Alert, AlertKind
from notebook_guard.domain.evaluation import evaluate, needs_tags
from notebook_guard.domain.models import Action, Evaluation, Remedy, Trigger
from notebook_guard.domain.naming import execution_name
from notebook_guard.settings import Settings


class Outcome(StrEnum):
    GONE = "gone"  # no notebook of that name (deleted since the event)
    COMPLIANT = "compliant"
    EXEMPT = "exempt"
    WORKFLOW_STARTED = "workflow-started"
    DUPLICATE = "duplicate"  # an execution for this notebook instance and action exists already
    ALERTED = "alerted"  # no workflow configured: alerted directly
    REPORTED = "reported"  # neither workflow nor topic configured: logged only


@dataclass
class Result:
    notebook_name: str
    outcome: Outcome
    evaluation: Evaluation | None = None
    execution_arn: str | None = None
    details: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "notebook_name": self.notebook_name,
            "outcome": self.outcome.value,
            "evaluation": self.evaluation.to_dict() if self.evaluation else None,
            "execution_arn": self.execution_arn,
            **self.details,
        }


def today() -> date:
    return datetime.now(UTC).date()


def inspect(name: str, settings: Settings, on_day: date | None = None) -> Evaluation | None:
    """Describe the notebook (the source of truth) and evaluate it; tags are read only for a violator."""
    describe = sagemaker.describe_notebook(name, settings.region)
    if describe is None:
        return None
    return evaluate_described(describe, settings, on_day)


def evaluate_described(describe: dict, settings: Settings, on_day: date | None = None) -> Evaluation:
    policy = settings.policy
    tags = (
        sagemaker.list_tags(describe["NotebookInstanceArn"], settings.region) if needs_tags(describe, policy) else None
    )
    return evaluate(describe, tags, policy, on_day or today())


def account_of(arn: str) -> str:
    parts = arn.split(":")
    return parts[4] if len(parts) > 4 else ""


def hand_on(evaluation: Evaluation, trigger: Trigger, settings: Settings, source: dict | None = None) -> Result:
    """Start the workflow for an actionable violator (or alert directly when there is no workflow)."""
    nb = evaluation.notebook
    if evaluation.compliant:
        return Result(nb.name, Outcome.COMPLIANT, evaluation)
    if evaluation.exempt:
        return Result(nb.name, Outcome.EXEMPT, evaluation)
    action = settings.action_for(trigger)
    if settings.state_machine_arn:
        payload = {
            "notebook_name": nb.name,
            "notebook_arn": nb.arn,
            "trigger": trigger.value,
            "action": action.value,
            "source": source or {},
            # Unique per request: Step Functions then answers a repeated name with ExecutionAlreadyExists
            # (rather than silently returning the running execution), so duplicates are counted as such.
            "requested_at": datetime.now(UTC).isoformat(),
        }
        name = execution_name(nb.arn, nb.creation_time, action.value)
        started = stepfunctions.start_execution(settings.state_machine_arn, name, payload, settings.region)
        if not started.started:
            return Result(nb.name, Outcome.DUPLICATE, evaluation, started.execution_arn, {"action": action.value})
        details = {"action": action.value}
        if settings.alert_topic_arn and action is not Action.NOTIFY:
            # The workflow's own alerts come when it ends (a remediation takes ~15 minutes): tell the security
            # team now that a violator was caught and what is about to happen to it.
            alert = violation_alert(evaluation, trigger, action, settings)
            alert.kind = AlertKind.REMEDIATION_STARTED
            alert.execution_id = started.execution_arn
            alert.summary = _PLANNED[(action, evaluation.remedy)]
            details["message_id"] = sns.publish_alert(settings.alert_topic_arn, alert, settings.region)
        return Result(nb.name, Outcome.WORKFLOW_STARTED, evaluation, started.execution_arn, details)
    if settings.alert_topic_arn:
        alert = violation_alert(evaluation, trigger, action, settings)
        alert.summary = (
            "No remediation workflow is deployed with this function, so nothing was changed: "
            "recreate the notebook in a private subnet (see the README's runbook)."
        )
        message_id = sns.publish_alert(settings.alert_topic_arn, alert, settings.region)
        return Result(nb.name, Outcome.ALERTED, evaluation, details={"message_id": message_id})
    return Result(nb.name, Outcome.REPORTED, evaluation)


_RECREATE_PLAN = (
    "The remediation workflow has started: it snapshots the notebook (configuration, tags, lifecycle scripts), "
    "checks the target subnet, security groups and endpoints, then stops, deletes and recreates the notebook in "
    "the private subnet. Nothing is deleted unless the snapshot was verified and the checks passed."
)
_PLANNED = {
    (Action.REMEDIATE, Remedy.RECREATE): _RECREATE_PLAN,
    (Action.REMEDIATE, Remedy.UPDATE_IN_PLACE): (
        "The remediation workflow has started: it stops the notebook, disables root access and starts it again "
        "if it was running. The notebook is not deleted."
    ),
    (Action.QUARANTINE, Remedy.RECREATE): "The workflow has started: it snapshots the notebook and stops it.",
    (Action.QUARANTINE, Remedy.UPDATE_IN_PLACE): "The workflow has started: it snapshots the notebook and stops it.",
}


def violation_alert(evaluation: Evaluation, trigger: Trigger, action: Action, settings: Settings) -> Alert:
    nb = evaluation.notebook
    return Alert(
        kind=AlertKind.VIOLATION,
        account=account_of(nb.arn),
        region=settings.region,
        notebook_name=nb.name,
        notebook_arn=nb.arn,
        violations=[v.to_dict() for v in evaluation.violations],
        exempt=evaluation.exempt,
        action=action.value,
        trigger=trigger.value,
        time=datetime.now(UTC).isoformat(timespec="seconds"),
        details={"status": nb.status, "subnet_id": nb.subnet_id},
    )

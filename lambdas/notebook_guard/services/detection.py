"""Inspect one notebook and hand a violator on: to the remediation workflow, or straight to an alert."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum

from notebook_guard.aws import sagemaker, stepfunctions
from notebook_guard.domain.alerts import Alert, AlertKind
from notebook_guard.domain.evaluation import evaluate, needs_tags
from notebook_guard.domain.lease import Release, Request, Verdict, exemption_fingerprint
from notebook_guard.domain.models import Action, Evaluation, Remedy, Trigger
from notebook_guard.domain.naming import execution_arn, execution_name
from notebook_guard.services.alerting import deliver
from notebook_guard.services.coordination import Coordinator
from notebook_guard.settings import Settings


class Outcome(StrEnum):
    GONE = "gone"  # no notebook of that name (deleted since the event)
    COMPLIANT = "compliant"
    EXEMPT = "exempt"
    WORKFLOW_STARTED = "workflow-started"
    DUPLICATE = "duplicate"  # another execution holds the notebook's lease (named in the result)
    ALREADY_NOTIFIED = "already-notified"  # notify only, and alerted within the re-alert interval
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


def evaluate_described(
    describe: dict, settings: Settings, on_day: date | None = None, tags: dict[str, str] | None = None
) -> Evaluation:
    """Evaluate a Describe output; the tags are read here only for a violator, unless the caller has them."""
    policy = settings.policy
    if tags is None and needs_tags(describe, policy):
        tags = sagemaker.list_tags(describe["NotebookInstanceArn"], settings.region)
    return evaluate(describe, tags, policy, on_day or today())


def account_of(arn: str) -> str:
    parts = arn.split(":")
    return parts[4] if len(parts) > 4 else ""


def hand_on(
    evaluation: Evaluation,
    trigger: Trigger,
    settings: Settings,
    source: dict | None = None,
    coordinator: Coordinator | None = None,
) -> Result:
    """Start the workflow for an actionable violator under the notebook's lease (or alert when there is none).

    The lease is acquired first, naming the execution about to start (its name is unique per attempt, so its ARN
    is known before StartExecution); a start that fails releases it again. A lease held by another execution
    that may still act makes this trigger a ``duplicate``; the attempt bound and the re-alert interval may turn
    it into ``notify`` or into nothing (``already-notified``).
    """
    nb = evaluation.notebook
    if evaluation.compliant:
        return Result(nb.name, Outcome.COMPLIANT, evaluation)
    if evaluation.exempt:
        return Result(nb.name, Outcome.EXEMPT, evaluation, details=announce_exemption(evaluation, trigger, settings))
    action = settings.action_for(trigger)
    if not settings.state_machine_arn:
        return _alert_directly(evaluation, trigger, action, settings)

    coordinator = coordinator or Coordinator(settings)
    name = execution_name(trigger.value, nb.name)
    holder = execution_arn(settings.state_machine_arn, name)
    decision = coordinator.acquire(
        nb.arn, Request(holder=holder, instance=nb.creation_time or "", action=action.value, trigger=trigger.value)
    )
    details = {"action": decision.action, "lease": decision.to_dict()}
    if decision.verdict is Verdict.HELD:
        return Result(nb.name, Outcome.DUPLICATE, evaluation, decision.holder, details)
    if decision.verdict is Verdict.ALREADY_NOTIFIED:
        return Result(nb.name, Outcome.ALREADY_NOTIFIED, evaluation, details=details)

    requested, action = action, Action(decision.action)
    # A re-check of a notebook blocked within the re-alert interval is not announced: it most likely ends
    # blocked-again, whose alert stands (and an announced execution owes a closing alert whatever its end).
    announce = bool(settings.alert_topic_arn) and action is not Action.NOTIFY and not decision.blocked_recently
    payload = {
        "notebook_name": nb.name,
        "notebook_arn": nb.arn,
        "trigger": trigger.value,
        "action": action.value,
        "source": source or {},
        "requested_at": datetime.now(UTC).isoformat(),
        # The intake tells the team at once (below); the workflow then owes them a closing alert, whatever the end.
        "announced": announce,
        # Why the trigger runs another action than its own (the attempt bound): the alert says it.
        "lease_note": decision.reason if action is not requested else None,
    }
    try:
        started = stepfunctions.start_execution(settings.state_machine_arn, name, payload, settings.region)
    except Exception:
        coordinator.release(nb.arn, holder, Release(outcome="not-started"))
        raise
    if announce:
        # The workflow's own alerts come when it ends (a remediation takes ~15 minutes): tell the security
        # team now that a violator was caught and what is about to happen to it.
        alert = violation_alert(evaluation, trigger, action, settings)
        alert.kind = AlertKind.REMEDIATION_STARTED
        alert.execution_id = started
        alert.summary = _PLANNED[(action, evaluation.remedy)]
        details.update(deliver(alert, settings).to_dict())
    return Result(nb.name, Outcome.WORKFLOW_STARTED, evaluation, started, details)


def _alert_directly(evaluation: Evaluation, trigger: Trigger, action: Action, settings: Settings) -> Result:
    nb = evaluation.notebook
    if not settings.alert_topic_arn:
        return Result(nb.name, Outcome.REPORTED, evaluation)
    alert = violation_alert(evaluation, trigger, action, settings)
    alert.summary = (
        "No remediation workflow is deployed with this function, so nothing was changed: "
        "recreate the notebook in a private subnet (see the README's runbook)."
    )
    return Result(nb.name, Outcome.ALERTED, evaluation, details=deliver(alert, settings).to_dict())


def announce_exemption(evaluation: Evaluation, trigger: Trigger, settings: Settings) -> dict:
    """One ``exempt`` alert the first time an exemption (this reason, this end date) is honoured for a notebook."""
    if not settings.alert_topic_arn or not settings.coordination_table or evaluation.exemption is None:
        return {}
    nb, exemption = evaluation.notebook, evaluation.exemption
    until = exemption.until.isoformat() if exemption.until else None
    fingerprint = exemption_fingerprint(nb.creation_time, exemption.reason, until)
    coordinator = Coordinator(settings)
    if not coordinator.announce_exemption(nb.arn, fingerprint):
        return {"exemption_announced": "before"}
    alert = violation_alert(evaluation, trigger, Action.NOTIFY, settings)
    alert.kind = AlertKind.EXEMPT
    alert.action = None
    alert.summary = exemption_summary(exemption.reason, until)
    try:
        delivery = deliver(alert, settings)
    except Exception:
        coordinator.withdraw_exemption(nb.arn, fingerprint)
        raise
    return {"exemption_announced": "now", **delivery.to_dict()}


def exemption_summary(reason: str, until: str | None) -> str:
    return (
        f"The notebook carries a valid exemption ({reason!r}, {'until ' + until if until else 'without an end date'})"
        ": notebook-guard reports its violations and changes nothing. Anyone allowed sagemaker:AddTags on the "
        "notebook can grant an exemption; the README's Exemptions section shows how to restrict that. This alert "
        "is sent once per exemption."
    )


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
        details={
            "status": nb.status,
            "subnet_id": nb.subnet_id,
            # Why an exemption tag present on the notebook was not honoured (expired, unparseable, no reason).
            "exemption_problem": evaluation.exemption_problem,
        },
    )

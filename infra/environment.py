"""The environment every function gets: the runtime contract of ``notebook_guard.settings.ENVIRONMENT``.

One line per variable. The step functions get everything but the state machine's ARN (the machine depends
on them, so they cannot depend on it); the intake and sweep get all of it.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Fn

from infra import constants
from infra.settings import StackSettings


@dataclass(frozen=True)
class DeployedNames:
    """Names and ARNs known only once resources exist (CloudFormation tokens)."""

    alert_topic_arn: str
    snapshot_bucket: str
    backup_bucket: str
    backup_key_arn: str
    audit_table: str
    coordination_table: str
    alert_dead_letter_queue_url: str
    target_subnet_ids: list[str]
    target_security_group_ids: list[str]
    # Subnets this stack created: approved implicitly when an approved list is given.
    created_subnet_ids: list[str]
    # The Security Hub custom actions that approve or reject (None when the stack does not create them).
    approve_action_arn: str | None = None
    reject_action_arn: str | None = None


def _csv(values: list[str] | tuple[str, ...]) -> str:
    return Fn.join(",", list(values)) if values else ""


def lambda_environment(
    settings: StackSettings, names: DeployedNames, *, state_machine_arn: str | None = None
) -> dict[str, str]:
    approved = list(settings.approved_subnet_ids) + (names.created_subnet_ids if settings.approved_subnet_ids else [])
    environment = {
        "NG_ALERT_TOPIC_ARN": names.alert_topic_arn,
        "NG_STATE_MACHINE_ARN": state_machine_arn,
        "NG_EVENT_ACTION": settings.event_action.value,
        "NG_SWEEP_ACTION": settings.sweep_action.value,
        "NG_RESTART_ACTION": settings.effective_restart_action.value,
        "NG_RESTART_WINDOW_SECONDS": str(settings.restart_window_minutes * 60),
        "NG_FINDING_ACTION": settings.effective_finding_action.value,
        "NG_FINDING_UPDATES": str(settings.finding_updates).lower(),
        "NG_SUPPRESS_EXEMPT_FINDINGS": str(settings.suppress_exempt_findings).lower(),
        "NG_OWN_FINDINGS": str(settings.own_findings).lower(),
        "NG_APPROVAL": settings.approval,
        "NG_APPROVAL_TIMEOUT_SECONDS": str(settings.approval_timeout_hours * 3600),
        "NG_APPROVAL_FALLBACK": settings.approval_fallback.value,
        "NG_APPROVE_ACTION_ARN": names.approve_action_arn,
        "NG_REJECT_ACTION_ARN": names.reject_action_arn,
        "NG_COORDINATION_TABLE": names.coordination_table,
        "NG_MAX_ATTEMPTS": str(settings.max_attempts),
        "NG_ATTEMPT_WINDOW_SECONDS": str(settings.attempt_window_hours * 3600),
        "NG_REALERT_SECONDS": str(settings.realert_hours * 3600),
        "NG_ALERT_DEAD_LETTER_QUEUE_URL": names.alert_dead_letter_queue_url,
        "NG_APPROVED_SUBNET_IDS": _csv(approved),
        "NG_EXEMPT_TAG": settings.exempt_tag,
        "NG_ROOT_ACCESS": settings.root_access,
        "NG_INTERNET_DEPENDENCY": settings.internet_dependency,
        "NG_IP_ADDRESS_TYPE_FALLBACK": settings.ip_address_type_fallback,
        "NG_SWEEP_CONCURRENCY": str(settings.sweep_concurrency),
        "NG_SNAPSHOT_BUCKET": names.snapshot_bucket,
        "NG_AUDIT_TABLE": names.audit_table,
        "NG_TARGET_SUBNET_IDS": _csv(names.target_subnet_ids),
        "NG_TARGET_SECURITY_GROUP_IDS": _csv(names.target_security_group_ids),
        "NG_REQUIRED_ENDPOINTS": ",".join(settings.required_endpoints),
        # Wait loops of the workflow (seconds): first interval, the cap the growing interval reaches, the bound.
        # No poll cap: the functions derive it from the bound (NG_WAIT_MAX_POLLS is for zero-second test runs).
        "NG_WAIT_FIRST_SECONDS": str(settings.wait_initial_seconds),
        "NG_WAIT_MAX_INTERVAL_SECONDS": str(settings.wait_max_seconds),
        "NG_WAIT_BOUND_SECONDS": str(settings.wait_timeout_seconds),
        "NG_WAIT_GROWTH": str(constants.WAIT_GROWTH),
        # How long each wait listens for SageMaker's event before it polls.
        "NG_EVENT_WAIT_SECONDS": ",".join(f"{w}={s}" for w, s in settings.event_wait_seconds.items()),
        "NG_SNAPSHOT_PREFIX": constants.SNAPSHOT_PREFIX,
        # Data preservation: the backup bucket and its key, the mode, the throughput the wait's bound assumes.
        "NG_DATA_PRESERVATION": settings.data_preservation,
        "NG_RESTORE_ORIGINAL_LIFECYCLE": "true" if settings.restore_original_lifecycle else "false",
        "NG_BACKUP_BUCKET": names.backup_bucket,
        "NG_BACKUP_KEY_ARN": names.backup_key_arn,
        "NG_BACKUP_PREFIX": constants.BACKUP_PREFIX,
        "NG_BACKUP_THROUGHPUT_MB_PER_SECOND": str(settings.backup_throughput_mb_per_second),
        "NG_BACKUP_FIXED_SECONDS": str(constants.BACKUP_FIXED_SECONDS),
    }
    # Unset values are left out (the runtime treats a missing variable as its default), never sent as "".
    return {name: value for name, value in environment.items() if value not in (None, "")}


def step_roles_variable(role_arns: dict[str, str]) -> dict[str, str]:
    """NG_STEP_ROLE_ARNS for the Preflight: the roles of the steps that act, whose policies it simulates."""
    return {"NG_STEP_ROLE_ARNS": ",".join(f"{step}={arn}" for step, arn in role_arns.items())}

"""Runtime settings of the Lambda functions, read once from the environment into one typed model.

Every variable is set by the CDK stack (``infra/``); the names are the contract between the two. Nothing
else in the package reads ``os.environ``: handlers call ``get_settings()`` and pass values down.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from notebook_guard.domain.approval import Approval
from notebook_guard.domain.evaluation import DEFAULT_EXEMPT_TAG, Policy
from notebook_guard.domain.lease import Limits
from notebook_guard.domain.models import Action, Trigger
from notebook_guard.domain.preservation import bound_seconds
from notebook_guard.domain.waits import DEFAULT_HEARTBEATS, TARGETS, WaitSchedule, heartbeat_key
from notebook_guard.workflow_steps import EXECUTION_TIMEOUT_SECONDS, MAX_APPROVAL_WAIT_SECONDS

DEFAULT_ENDPOINTS = ("sagemaker.api", "sagemaker.runtime", "sts", "logs", "s3")

# environment variable -> field name
ENVIRONMENT = {
    "NG_ALERT_TOPIC_ARN": "alert_topic_arn",
    "NG_STATE_MACHINE_ARN": "state_machine_arn",
    "NG_EVENT_ACTION": "event_action",
    "NG_SWEEP_ACTION": "sweep_action",
    "NG_RESTART_ACTION": "restart_action",
    "NG_RESTART_WINDOW_SECONDS": "restart_window_seconds",
    "NG_FINDING_ACTION": "finding_action",
    "NG_FINDING_UPDATES": "finding_updates",
    "NG_SUPPRESS_EXEMPT_FINDINGS": "suppress_exempt_findings",
    "NG_OWN_FINDINGS": "own_findings",
    "NG_APPROVAL": "approval",
    "NG_APPROVAL_TIMEOUT_SECONDS": "approval_timeout_seconds",
    "NG_APPROVAL_FALLBACK": "approval_fallback",
    "NG_APPROVE_ACTION_ARN": "approve_action_arn",
    "NG_REJECT_ACTION_ARN": "reject_action_arn",
    "NG_COORDINATION_TABLE": "coordination_table",
    "NG_MAX_ATTEMPTS": "max_attempts",
    "NG_ATTEMPT_WINDOW_SECONDS": "attempt_window_seconds",
    "NG_REALERT_SECONDS": "realert_seconds",
    "NG_ALERT_DEAD_LETTER_QUEUE_URL": "alert_dead_letter_queue_url",
    "NG_APPROVED_SUBNET_IDS": "approved_subnet_ids",
    "NG_EXEMPT_TAG": "exempt_tag",
    "NG_ROOT_ACCESS": "root_access",
    "NG_INTERNET_DEPENDENCY": "internet_dependency",
    "NG_IP_ADDRESS_TYPE_FALLBACK": "ip_address_type_fallback",
    "NG_SWEEP_CONCURRENCY": "sweep_concurrency",
    "NG_SNAPSHOT_BUCKET": "snapshot_bucket",
    "NG_AUDIT_TABLE": "audit_table",
    "NG_TARGET_SUBNET_IDS": "target_subnet_ids",
    "NG_TARGET_SECURITY_GROUP_IDS": "target_security_group_ids",
    "NG_REQUIRED_ENDPOINTS": "required_endpoints",
    "NG_WAIT_FIRST_SECONDS": "wait_first_seconds",
    "NG_WAIT_GROWTH": "wait_growth",
    "NG_WAIT_MAX_INTERVAL_SECONDS": "wait_max_interval_seconds",
    "NG_WAIT_BOUND_SECONDS": "wait_bound_seconds",
    "NG_WAIT_MAX_POLLS": "wait_max_polls",
    "NG_EVENT_WAIT_SECONDS": "event_wait_seconds",
    "NG_SNAPSHOT_PREFIX": "snapshot_prefix",
    "NG_STEP_ROLE_ARNS": "step_role_arns",
    "NG_DATA_PRESERVATION": "data_preservation",
    "NG_RESTORE_ORIGINAL_LIFECYCLE": "restore_original_lifecycle",
    "NG_BACKUP_BUCKET": "backup_bucket",
    "NG_BACKUP_KEY_ARN": "backup_key_arn",
    "NG_BACKUP_PREFIX": "backup_prefix",
    "NG_BACKUP_THROUGHPUT_MB_PER_SECOND": "backup_throughput_mb_per_second",
    "NG_BACKUP_FIXED_SECONDS": "backup_fixed_seconds",
    "AWS_REGION": "region",
}
_LIST_FIELDS = {
    "approved_subnet_ids",
    "target_subnet_ids",
    "target_security_group_ids",
    "required_endpoints",
    "step_role_arns",
    "event_wait_seconds",
}


_EVENT_WAIT = re.compile(r"^(stable|stopped|gone|in[-_]service|updated|running)=([1-9][0-9]{0,4})$")
_ACTION_TARGET = r"^arn:aws[a-z-]*:securityhub:[a-z0-9-]+:\d{12}:action/custom/[A-Za-z0-9]{1,20}$"
# The longest an approval may wait: the state machine's timeout keeps room for it plus the remediation itself.
MAX_APPROVAL_TIMEOUT_SECONDS = MAX_APPROVAL_WAIT_SECONDS
_STEP_ROLE = re.compile(r"^[A-Za-z]+=arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$")


class SettingsError(ValueError):
    """The environment does not describe a valid configuration; the message names each bad variable."""


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    region: str = "us-east-1"
    alert_topic_arn: str | None = Field(
        default=None, pattern=r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$"
    )
    state_machine_arn: str | None = Field(
        default=None, pattern=r"^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[A-Za-z0-9_-]{1,80}$"
    )
    # What each trigger may do: event_action is the create trigger's (the name predates the create/restart
    # split); restart_action defaults to the sweep's (a notebook that existed before is the sweep's business).
    event_action: Action = Action.REMEDIATE
    sweep_action: Action = Action.NOTIFY
    restart_action: Action | None = None
    # A state-change event of a notebook created at most this long before the event is a creation.
    restart_window_seconds: int = Field(default=600, ge=0, le=86400)
    # A Security Hub control finding (SageMaker.1/.2/.3, FAILED, NEW): the sweep's action unless set. A finding
    # arrives minutes to a day after the change it reports, for notebooks of any age: it is the sweep's kind of
    # news, not a creation caught as it happens (the create trigger has already acted on those).
    finding_action: Action | None = None
    # Security Hub: follow each remediation on the notebook's control findings (NOTIFIED, notes, RESOLVED);
    # SUPPRESSED for an exempt notebook when asked; import notebook-guard's own finding per remediation.
    finding_updates: bool = True
    suppress_exempt_findings: bool = False
    own_findings: bool = False
    # The approval gate (domain.approval): who must approve a remediation, how long it waits, what happens
    # without an approval (rejected or timed out): notify or quarantine, never delete.
    approval: Approval = Approval.NEVER
    approval_timeout_seconds: int = Field(default=259200, ge=60, le=MAX_APPROVAL_TIMEOUT_SECONDS)
    approval_fallback: Action = Action.NOTIFY
    # The Security Hub custom actions a person approves or rejects with (their ARNs, as the stack creates them).
    approve_action_arn: str | None = Field(default=None, pattern=_ACTION_TARGET)
    reject_action_arn: str | None = Field(default=None, pattern=_ACTION_TARGET)
    # The coordination table (one lease per notebook); required to start workflows.
    coordination_table: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.-]{3,255}$")
    max_attempts: int = Field(default=3, ge=1, le=100)
    attempt_window_seconds: int = Field(default=86400, ge=60, le=30 * 86400)
    realert_seconds: int = Field(default=86400, ge=60, le=90 * 86400)
    # Alerts that SNS refused even after retries are parked here (a queue whose alarm does not use the topic).
    alert_dead_letter_queue_url: str | None = Field(default=None, pattern=r"^https?://\S+$")
    approved_subnet_ids: tuple[str, ...] = ()
    exempt_tag: str = Field(default=DEFAULT_EXEMPT_TAG, min_length=1, max_length=120)
    root_access: str = Field(default="disabled", pattern=r"^(disabled|allowed)$")
    # A recreated notebook that needs the internet where the target has no way out: block, warn (go on) or ignore.
    internet_dependency: str = Field(default="block", pattern=r"^(block|warn|ignore)$")
    # A dualstack notebook in a subnet without IPv6: "none" makes the subnet unfit, "ipv4" recreates it as ipv4.
    ip_address_type_fallback: str = Field(default="none", pattern=r"^(none|ipv4)$")
    sweep_concurrency: int = Field(default=8, ge=1, le=32)
    snapshot_bucket: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
    audit_table: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.-]{3,255}$")
    target_subnet_ids: tuple[str, ...] = ()
    target_security_group_ids: tuple[str, ...] = ()
    required_endpoints: tuple[str, ...] = DEFAULT_ENDPOINTS
    # Wait loops of the remediation workflow: first interval, growth factor, cap, overall bound per loop.
    wait_first_seconds: int = Field(default=60, ge=0, le=3600)
    wait_growth: float = Field(default=2.0, ge=1.0, le=10.0)
    wait_max_interval_seconds: int = Field(default=180, ge=0, le=3600)
    wait_bound_seconds: int = Field(default=3600, ge=0, le=86400)
    # Only for a schedule that never waits (wait_first_seconds 0); otherwise the poll cap follows the bound.
    wait_max_polls: int | None = Field(default=None, ge=1, le=2000)
    # How long each wait listens for SageMaker's event before it polls ("stopped=300,gone=300,..."; the others keep
    # domain.waits.DEFAULT_HEARTBEATS).
    event_wait_seconds: tuple[str, ...] = ()
    snapshot_prefix: str = Field(default="snapshots", pattern=r"^[A-Za-z0-9!_.*'()/-]{1,200}$")
    # The roles of the steps that act ("Stop=arn:aws:iam::123456789012:role/...,Delete=..."): the Preflight
    # simulates their policies against the concrete request before anything destructive.
    step_role_arns: tuple[str, ...] = ()
    # Data preservation (domain.preservation): back up the storage volume before the recreate and restore it after.
    data_preservation: str = Field(default="auto", pattern=r"^(auto|always|never)$")
    # After the restore: stop the replacement, attach the notebook's own lifecycle configuration again, start it.
    restore_original_lifecycle: bool = True
    # The backup bucket (SSE-KMS with this key) and the key prefix of the backups in it.
    backup_bucket: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
    backup_key_arn: str | None = Field(default=None, pattern=r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[\w-]+$")
    backup_prefix: str = Field(default="backups", pattern=r"^[A-Za-z0-9_.-]{1,100}$")
    # How long a copy of the volume may take: a fixed part plus the volume's size at this assumed throughput.
    backup_throughput_mb_per_second: int = Field(default=25, ge=1, le=10000)
    backup_fixed_seconds: int = Field(default=900, ge=60, le=86400)

    @field_validator("approved_subnet_ids", "target_subnet_ids")
    @classmethod
    def _subnet_ids(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [v for v in value if not v.startswith("subnet-")]
        if bad:
            raise ValueError(f"expected subnet ids (subnet-...), got {bad}")
        return value

    @field_validator("target_security_group_ids")
    @classmethod
    def _sg_ids(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [v for v in value if not v.startswith("sg-")]
        if bad:
            raise ValueError(f"expected security group ids (sg-...), got {bad}")
        return value

    @field_validator("event_wait_seconds")
    @classmethod
    def _event_waits(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [v for v in value if not _EVENT_WAIT.match(v)]
        if bad:
            raise ValueError(f"expected WAIT=SECONDS pairs (waits: {', '.join(TARGETS)}), got {bad}")
        return value

    @field_validator("step_role_arns")
    @classmethod
    def _step_roles(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [v for v in value if not _STEP_ROLE.match(v)]
        if bad:
            raise ValueError(f"expected Step=arn:aws:iam::ACCOUNT:role/NAME pairs, got {bad}")
        return value

    @field_validator("approval_fallback")
    @classmethod
    def _fallback(cls, value: Action) -> Action:
        if value is Action.REMEDIATE:
            raise ValueError("notify or quarantine: without an approval nothing is deleted")
        return value

    @property
    def step_roles(self) -> dict[str, str]:
        """Step key -> the ARN of its role."""
        return dict(pair.split("=", 1) for pair in self.step_role_arns)

    def backup_bound_seconds(self, volume_gb: int | None) -> int:
        """How long the backup (or the restore) of a volume of this size may take before the workflow gives up."""
        return bound_seconds(volume_gb, self.backup_throughput_mb_per_second, self.backup_fixed_seconds)

    @model_validator(mode="after")
    def _coordinated(self) -> Settings:
        if self.state_machine_arn and not self.coordination_table:
            raise ValueError(
                "NG_COORDINATION_TABLE is required with NG_STATE_MACHINE_ARN: workflows are started under a lease"
            )
        return self

    @property
    def policy(self) -> Policy:
        return Policy(
            approved_subnet_ids=frozenset(self.approved_subnet_ids),
            require_root_access_disabled=self.root_access == "disabled",
            exempt_tag=self.exempt_tag,
        )

    @property
    def wait_schedule(self) -> WaitSchedule:
        return WaitSchedule(
            first_seconds=self.wait_first_seconds,
            growth=self.wait_growth,
            max_interval_seconds=self.wait_max_interval_seconds,
            bound_seconds=self.wait_bound_seconds,
            max_polls=self.wait_max_polls,
            heartbeats={**DEFAULT_HEARTBEATS, **self.event_waits},
        )

    @property
    def event_waits(self) -> dict[str, int]:
        """Heartbeat seconds per wait, keyed as ``waits.heartbeats`` is (only those the environment sets)."""
        pairs = (pair.split("=", 1) for pair in self.event_wait_seconds)
        return {heartbeat_key(wait.replace("_", "-")): int(seconds) for wait, seconds in pairs}

    @property
    def target_root_access(self) -> str:
        """RootAccess of a recreated notebook: Disabled unless the policy allows root access."""
        return "Disabled" if self.root_access == "disabled" else "Enabled"

    @property
    def lease_limits(self) -> Limits:
        return Limits(
            max_attempts=self.max_attempts,
            attempt_window_seconds=self.attempt_window_seconds,
            realert_seconds=self.realert_seconds,
            lease_seconds=EXECUTION_TIMEOUT_SECONDS + 3600,
        )

    def action_for(self, trigger: str) -> Action:
        """The configured action of a trigger (a manual start without one gets the creation's)."""
        if trigger == Trigger.SWEEP:
            return self.sweep_action
        if trigger == Trigger.RESTART:
            return self.restart_action or self.sweep_action
        if trigger == Trigger.FINDING:
            return self.finding_action or self.sweep_action
        return self.event_action

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Settings:
        raw: dict[str, object] = {}
        for variable, name in ENVIRONMENT.items():
            value = environ.get(variable)
            if value is None or value == "":
                continue
            raw[name] = tuple(p.strip() for p in value.split(",") if p.strip()) if name in _LIST_FIELDS else value
        try:
            return cls.model_validate(raw)
        except ValidationError as error:
            by_field = {v: k for k, v in ENVIRONMENT.items()}
            problems = [
                f"{by_field.get(str(e['loc'][0]), e['loc'][0])}={raw.get(str(e['loc'][0]))!r}: {e['msg']}"
                if e["loc"]
                else str(e["msg"]).removeprefix("Value error, ")
                for e in error.errors()
            ]
            raise SettingsError("invalid notebook-guard settings: " + "; ".join(problems)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this Lambda, validated once per cold start."""
    return Settings.from_environ(os.environ)

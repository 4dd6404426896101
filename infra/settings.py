"""Deployment settings: read from CDK context (``cdk.json`` and ``-c key=value``), typed and validated at synth.

Every setting is validated before any construct is built. A bad value fails synth with
``invalid setting <name>=<value>: <what is expected>``. Values from ``-c`` arrive as strings, values from
``cdk.json`` as JSON: lists accept a JSON list or a comma-separated string, numbers and booleans their string
forms too.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from notebook_guard.domain.approval import Approval
from notebook_guard.domain.evaluation import DEFAULT_EXEMPT_TAG
from notebook_guard.domain.models import Action
from notebook_guard.domain.waits import DEFAULT_HEARTBEATS, TARGETS, WaitSchedule, heartbeat_key
from notebook_guard.permissions import prevention
from notebook_guard.settings import DEFAULT_ENDPOINTS
from notebook_guard.workflow_steps import MAX_APPROVAL_WAIT_SECONDS

from . import constants  # relative: the CLI ships this module as notebook_guard_local.stack.settings

# Endpoint name -> what a notebook uses it for. The first five are what every private notebook needs.
KNOWN_ENDPOINTS = {
    "sagemaker.api": "SageMaker API (the notebook's own calls, the Jupyter extension)",
    "sagemaker.runtime": "invoking SageMaker endpoints",
    "sts": "assuming the notebook's execution role",
    "logs": "lifecycle-configuration and Jupyter logs",
    "s3": "data and the snapshot/restore sync (gateway endpoint, free)",
    "ecr.api": "pulling container images (API)",
    "ecr.dkr": "pulling container images (registry)",
    "codecommit": "CodeCommit API",
    "git-codecommit": "git over HTTPS to CodeCommit repositories",
    "kms": "KMS-encrypted data",
    "secretsmanager": "Git credentials kept in Secrets Manager",
}
GATEWAY_ENDPOINTS = frozenset({"s3"})

# CloudWatch Logs accepts only these retention periods.
LOG_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)

_SUBNET = re.compile(r"^subnet-[0-9a-f]{8}([0-9a-f]{9})?$")
_SECURITY_GROUP = re.compile(r"^sg-[0-9a-f]{8}([0-9a-f]{9})?$")
_VPC = re.compile(r"^vpc-[0-9a-f]{8}([0-9a-f]{9})?$")
_ROUTE_TABLE = re.compile(r"^rtb-[0-9a-f]{8}([0-9a-f]{9})?$")
_EMAIL = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[A-Za-z]{2,}$")
_TOPIC_ARN = re.compile(r"^arn:aws[a-z-]*:sns:[a-z]{2}(-[a-z]+)+-\d:\d{12}:[A-Za-z0-9_-]{1,256}$")
_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_CRON = re.compile(r"^cron\(([^()]+)\)$")
_TAG_KEY = re.compile(r"^[\w.:/=+\-@ ]{1,120}$")
_ROLE_PATTERN = re.compile(r"^[\w+=,.@/*-]{1,128}$")
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")

# Step Functions keeps 25,000 events per execution; a wait poll costs about 9 (Task 5, Choice 2, Wait 2) and a
# remediation has up to four wait loops besides ~30 fixed states. A schedule whose loops could need more polls
# than this per loop would let an execution fail on its history before its time bound.
MAX_POLLS_PER_WAIT = 600
# The default heartbeat of each wait, keyed by the wait's name as the settings show it (in-service, not in_service).
EVENT_WAITS = {until: DEFAULT_HEARTBEATS[heartbeat_key(until)] for until in TARGETS}


class SettingsError(ValueError):
    """A setting has a value the stack cannot deploy; the message names the setting, the value and what fits."""


def _list(value: Any) -> tuple[str, ...]:
    """A JSON list, or a string holding a JSON list or comma-separated items."""
    if value is None:
        return ()
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                value = json.loads(text)
            except json.JSONDecodeError as error:
                raise ValueError(f"a JSON list or comma-separated values ({error.msg})") from None
        else:
            return tuple(part.strip() for part in text.split(",") if part.strip())
    if isinstance(value, list | tuple) and all(isinstance(item, str) for item in value):
        return tuple(item.strip() for item in value if item.strip())
    raise ValueError("a list of strings (JSON list or comma-separated)")


def _int(value: Any, low: int, high: int) -> int:
    if isinstance(value, bool):
        raise ValueError(f"an integer from {low} to {high}")
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        value = int(value)
    if not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"an integer from {low} to {high}")
    return value


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"true", "false"}:
        return value.strip().lower() == "true"
    raise ValueError("true or false")


def _ids(values: tuple[str, ...], pattern: re.Pattern, kind: str) -> tuple[str, ...]:
    bad = [v for v in values if not pattern.match(v)]
    if bad:
        raise ValueError(
            f"{kind} ids like {pattern.pattern[1:].split('-')[0]}-0123456789abcdef0 (bad: {', '.join(bad)})"
        )
    if len(set(values)) != len(values):
        raise ValueError(f"distinct {kind} ids (duplicates given)")
    return values


def _schedule(value: str) -> str:
    expected = (
        "an EventBridge schedule: rate(N minute|minutes|hour|hours|day|days) with the singular unit for N=1, "
        "or cron(minutes hours day-of-month month day-of-week year) with '?' in one of the day fields"
    )
    if match := _RATE.match(value):
        count, unit = int(match.group(1)), match.group(2)
        if count < 1 or (count == 1) != (not unit.endswith("s")):
            raise ValueError(expected)
        return value
    if match := _CRON.match(value):
        fields = match.group(1).split()
        if len(fields) != 6 or "?" not in (fields[2], fields[4]):
            raise ValueError(expected)
        return value
    raise ValueError(expected)


class StackSettings(BaseModel):
    """Everything a deployment may choose. Defaults deploy a working stack with no settings at all."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # What each trigger may do to a violating notebook.
    # event_action is the create trigger's (CloudTrail, or a state change within restart_window_minutes of the
    # notebook's creation); the name predates the create/restart split and is kept for existing deployments.
    event_action: Action = Action.REMEDIATE
    sweep_action: Action = Action.NOTIFY
    restart_action: Action | None = None  # None: the sweep's action
    restart_window_minutes: int = 10
    # Security Hub: a control finding (SageMaker.1/.2/.3 FAILED, NEW) starts a workflow with finding_action (None:
    # the sweep's); the workflow follows the notebook's findings (NOTIFIED, notes, RESOLVED), suppresses an exempt
    # notebook's findings when asked, and imports its own finding per remediation when asked.
    finding_action: Action | None = None
    finding_rule: bool = True
    finding_updates: bool = True
    suppress_exempt_findings: bool = False
    own_findings: bool = False
    # The approval gate: never | existing-notebooks | always; how long a remediation waits for a person; what it
    # does without an approval (notify or quarantine, never delete); the Security Hub custom actions to decide with.
    approval: str = "never"
    approval_timeout_hours: int = 72
    approval_fallback: Action = Action.NOTIFY
    approval_custom_actions: bool = True
    sweep_schedule: str = "rate(1 hour)"
    sweep_concurrency: int = 8
    # Network: an existing private network, or none (the stack creates one).
    target_subnet_ids: tuple[str, ...] = ()
    target_security_group_ids: tuple[str, ...] = ()
    create_endpoints: bool = False  # existing network only: add the endpoints in required_endpoints to it
    target_vpc_id: str | None = None  # existing network only, needed by create_endpoints
    target_route_table_ids: tuple[str, ...] = ()  # existing network only, for the s3 gateway endpoint
    required_endpoints: tuple[str, ...] = DEFAULT_ENDPOINTS
    # Policy
    approved_subnet_ids: tuple[str, ...] = ()
    exempt_tag: str = DEFAULT_EXEMPT_TAG
    root_access: str = "disabled"
    # A recreated notebook that needs the internet (lifecycle scripts installing packages, Git repositories that are
    # not CodeCommit) in a target without a way out: block the remediation, warn and go on, or ignore.
    internet_dependency: str = "block"
    # A dualstack notebook in a target subnet without IPv6: "none" blocks, "ipv4" recreates it as ipv4.
    ip_address_type_fallback: str = "none"
    # Coordination: attempts per notebook instance, and how often the same alert may repeat.
    max_attempts: int = 3
    attempt_window_hours: int = 24
    realert_hours: int = 24
    # Alerts
    alert_emails: tuple[str, ...] = ()
    alert_topic_arn: str | None = None
    fallback_alert_emails: tuple[str, ...] = ()  # the alert dead-letter queue's alarm, independent of the topic
    # Snapshots: the one role that may delete them (the bucket policy denies everyone else).
    snapshot_break_glass_role_arn: str | None = None
    # Data preservation: back up the storage volume before the recreate and restore it after (auto: every notebook
    # but one caught at creation), how long backups are kept, how fast a copy is assumed to go (the bound of the wait
    # for the backup and the restore), and whether the notebook's own lifecycle configuration is put back after the
    # restore (a stop and a start of the replacement).
    data_preservation: str = "auto"
    backup_retention_days: int = 30
    backup_throughput_mb_per_second: int = 25
    restore_original_lifecycle: bool = True
    # Workflow wait bounds (seconds): first poll interval, the cap it grows to, the overall bound of one wait.
    wait_initial_seconds: int = 60
    wait_max_seconds: int = 180
    wait_timeout_seconds: int = 3600
    # Event-driven waits: how long each wait listens for SageMaker's state-change event before it falls back to the
    # polling loop above (seconds per wait), and how often the reconciler resolves waits whose events were lost.
    event_wait_seconds: dict[str, int] = dict(EVENT_WAITS)
    reconcile_schedule: str = "rate(5 minutes)"
    # IAM
    passrole_role_pattern: str = "*"
    # Prevention: a customer managed policy that denies, at the API, the requests notebook-guard would remediate.
    prevention_policy: bool = False
    prevention_exempt_principal_tag: str = prevention.DEFAULT_EXEMPT_PRINCIPAL_TAG  # "": no tag exemption
    prevention_exempt_role_arns: tuple[str, ...] = ()
    # Operations
    trail_enabled: bool = False
    log_retention_days: int = 90
    # None: the layer AWS publishes for the runtime, resolved at deploy time from its public SSM parameter.
    powertools_layer_version: int | None = None

    # --- per-setting validation: each message says what is expected -----------------------------------------

    @field_validator("event_action", "sweep_action", "restart_action", "finding_action", mode="before")
    @classmethod
    def _action(cls, value: Any) -> Action | None:
        if value is None:
            return None
        try:
            return Action(str(value).strip().lower())
        except ValueError:
            raise ValueError("one of " + ", ".join(a.value for a in Action)) from None

    @field_validator("approval_fallback", mode="before")
    @classmethod
    def _fallback(cls, value: Any) -> Action:
        text = str(value).strip().lower()
        if text not in (Action.NOTIFY.value, Action.QUARANTINE.value):
            raise ValueError("notify or quarantine (without an approval nothing is deleted)")
        return Action(text)

    @field_validator("approval", mode="before")
    @classmethod
    def _approval(cls, value: Any) -> str:
        text = str(value).strip().lower()
        if text not in {a.value for a in Approval}:
            raise ValueError(
                "never, existing-notebooks (every trigger but create) or always: who must approve a remediation"
            )
        return text

    @field_validator("approval_timeout_hours", mode="before")
    @classmethod
    def _approval_timeout(cls, value: Any) -> int:
        # The state machine's timeout keeps room for the longest approval wait plus the remediation itself.
        return _int(value, 1, MAX_APPROVAL_WAIT_SECONDS // 3600)

    @field_validator("sweep_schedule", mode="before")
    @classmethod
    def _sweep_schedule(cls, value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError("a schedule expression string")
        return _schedule(value.strip())

    @field_validator("reconcile_schedule", mode="before")
    @classmethod
    def _reconcile_schedule(cls, value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError("a schedule expression string")
        return _schedule(value.strip())

    @field_validator("event_wait_seconds", mode="before")
    @classmethod
    def _event_waits(cls, value: Any) -> dict[str, int]:
        expected = f"a map of wait -> seconds (60 to 86400) over {', '.join(TARGETS)}, e.g. stopped=300,gone=300"
        if isinstance(value, str):
            try:
                value = json.loads(value) if value.strip().startswith("{") else dict(
                    part.split("=", 1) for part in value.split(",") if part.strip()
                )
            except ValueError:
                raise ValueError(expected) from None
        if not isinstance(value, dict) or not set(value) <= set(TARGETS):
            raise ValueError(expected)
        return {**EVENT_WAITS, **{wait: _int(seconds, 60, 86400) for wait, seconds in value.items()}}

    @field_validator("sweep_concurrency", mode="before")
    @classmethod
    def _sweep_concurrency(cls, value: Any) -> int:
        return _int(value, 1, 32)

    @field_validator("restart_window_minutes", mode="before")
    @classmethod
    def _restart_window(cls, value: Any) -> int:
        return _int(value, 1, 1440)

    @field_validator("max_attempts", mode="before")
    @classmethod
    def _max_attempts(cls, value: Any) -> int:
        return _int(value, 1, 20)

    @field_validator("attempt_window_hours", mode="before")
    @classmethod
    def _attempt_window(cls, value: Any) -> int:
        return _int(value, 1, 168)

    @field_validator("realert_hours", mode="before")
    @classmethod
    def _realert(cls, value: Any) -> int:
        return _int(value, 1, 720)

    @field_validator("snapshot_break_glass_role_arn", mode="before")
    @classmethod
    def _break_glass(cls, value: Any) -> str | None:
        if value in (None, ""):
            return None
        if not isinstance(value, str) or not _ROLE_ARN.match(value.strip()):
            raise ValueError("an IAM role ARN like arn:aws:iam::123456789012:role/SnapshotBreakGlass")
        return value.strip()

    @field_validator("target_subnet_ids", "approved_subnet_ids", mode="before")
    @classmethod
    def _subnets(cls, value: Any) -> tuple[str, ...]:
        return _ids(_list(value), _SUBNET, "subnet")

    @field_validator("target_security_group_ids", mode="before")
    @classmethod
    def _security_groups(cls, value: Any) -> tuple[str, ...]:
        ids = _ids(_list(value), _SECURITY_GROUP, "security group")
        if len(ids) > 5:
            raise ValueError("at most 5 security group ids (SageMaker's limit per notebook)")
        return ids

    @field_validator("target_route_table_ids", mode="before")
    @classmethod
    def _route_tables(cls, value: Any) -> tuple[str, ...]:
        return _ids(_list(value), _ROUTE_TABLE, "route table")

    @field_validator("target_vpc_id", mode="before")
    @classmethod
    def _vpc(cls, value: Any) -> str | None:
        if value in (None, ""):
            return None
        if not isinstance(value, str) or not _VPC.match(value.strip()):
            raise ValueError("a VPC id like vpc-0123456789abcdef0")
        return value.strip()

    @field_validator("required_endpoints", mode="before")
    @classmethod
    def _endpoints(cls, value: Any) -> tuple[str, ...]:
        names = _list(value)
        unknown = [n for n in names if n not in KNOWN_ENDPOINTS]
        if unknown or len(set(names)) != len(names):
            raise ValueError("distinct endpoint names from: " + ", ".join(KNOWN_ENDPOINTS))
        return names

    @field_validator("data_preservation", mode="before")
    @classmethod
    def _data_preservation(cls, value: Any) -> str:
        if not isinstance(value, str) or value.strip().lower() not in {"auto", "always", "never"}:
            raise ValueError(
                "auto (back up the storage volume of every notebook but one caught at creation), always or never"
            )
        return value.strip().lower()

    @field_validator("backup_retention_days", mode="before")
    @classmethod
    def _backup_retention(cls, value: Any) -> int:
        return _int(value, 1, 3650)

    @field_validator("backup_throughput_mb_per_second", mode="before")
    @classmethod
    def _backup_throughput(cls, value: Any) -> int:
        return _int(value, 1, 10_000)

    @field_validator(
        "create_endpoints",
        "trail_enabled",
        "finding_rule",
        "finding_updates",
        "suppress_exempt_findings",
        "own_findings",
        "approval_custom_actions",
        "prevention_policy",
        "restore_original_lifecycle",
        mode="before",
    )
    @classmethod
    def _flags(cls, value: Any) -> bool:
        return _bool(value)

    @field_validator("exempt_tag", mode="before")
    @classmethod
    def _exempt_tag(cls, value: Any) -> str:
        if not isinstance(value, str) or not _TAG_KEY.match(value) or value.lower().startswith("aws:"):
            raise ValueError(
                "a tag key of 1-120 letters, digits, spaces or _.:/=+-@, not starting with aws: "
                "(the '-until' key is derived from it)"
            )
        return value

    @field_validator("root_access", mode="before")
    @classmethod
    def _root_access(cls, value: Any) -> str:
        if not isinstance(value, str) or value.strip().lower() not in {"disabled", "allowed"}:
            raise ValueError("disabled (root access is a violation) or allowed")
        return value.strip().lower()

    @field_validator("internet_dependency", mode="before")
    @classmethod
    def _internet_dependency(cls, value: Any) -> str:
        if not isinstance(value, str) or value.strip().lower() not in {"block", "warn", "ignore"}:
            raise ValueError(
                "block (a notebook that needs the internet is not recreated where it has none), warn or ignore"
            )
        return value.strip().lower()

    @field_validator("ip_address_type_fallback", mode="before")
    @classmethod
    def _ip_fallback(cls, value: Any) -> str:
        if not isinstance(value, str) or value.strip().lower() not in {"none", "ipv4"}:
            raise ValueError("none (a dualstack notebook needs a subnet with IPv6) or ipv4 (recreate it as ipv4)")
        return value.strip().lower()

    @field_validator("prevention_exempt_principal_tag", mode="before")
    @classmethod
    def _prevention_tag(cls, value: Any) -> str:
        try:
            return prevention.principal_tag(value) or ""
        except prevention.PreventionError as error:
            raise ValueError(str(error).split(": expected ", 1)[-1]) from None

    @field_validator("prevention_exempt_role_arns", mode="before")
    @classmethod
    def _prevention_roles(cls, value: Any) -> tuple[str, ...]:
        try:
            return prevention.role_arns(_list(value))
        except prevention.PreventionError as error:
            raise ValueError(str(error).split(": expected ", 1)[-1]) from None

    @field_validator("alert_emails", "fallback_alert_emails", mode="before")
    @classmethod
    def _emails(cls, value: Any) -> tuple[str, ...]:
        emails = _list(value)
        bad = [e for e in emails if not _EMAIL.match(e)]
        if bad:
            raise ValueError(f"email addresses like ops@example.com (bad: {', '.join(bad)})")
        return emails

    @field_validator("alert_topic_arn", mode="before")
    @classmethod
    def _topic(cls, value: Any) -> str | None:
        if value in (None, ""):
            return None
        if not isinstance(value, str) or not _TOPIC_ARN.match(value.strip()):
            raise ValueError("an SNS topic ARN like arn:aws:sns:us-east-1:123456789012:alerts")
        return value.strip()

    @field_validator("wait_initial_seconds", mode="before")
    @classmethod
    def _wait_initial(cls, value: Any) -> int:
        if not isinstance(value, bool) and str(value).strip() == "0":
            # 0 makes every interval 0: a loop polls without pausing, so its time bound is never reached and a
            # notebook that is Pending for a minute is declared stuck after a few instant polls.
            raise ValueError(
                "an integer from 1 to 3600 (0 would poll without waiting: every Pending notebook would be declared "
                "stuck at once)"
            )
        return _int(value, 1, 3600)

    @field_validator("wait_max_seconds", mode="before")
    @classmethod
    def _wait_max(cls, value: Any) -> int:
        return _int(value, 0, 3600)

    @field_validator("wait_timeout_seconds", mode="before")
    @classmethod
    def _wait_timeout(cls, value: Any) -> int:
        # An execution of a standard workflow may run a year; one wait loop is bounded to a day.
        return _int(value, 60, 86400)

    @field_validator("passrole_role_pattern", mode="before")
    @classmethod
    def _role_pattern(cls, value: Any) -> str:
        if not isinstance(value, str) or not _ROLE_PATTERN.match(value.strip()):
            raise ValueError("an IAM role name or path pattern, e.g. * or SageMaker-* or service-role/Notebook*")
        return value.strip()

    @field_validator("log_retention_days", mode="before")
    @classmethod
    def _retention(cls, value: Any) -> int:
        days = _int(value, 1, 3653)
        if days not in LOG_RETENTION_DAYS:
            raise ValueError("one of CloudWatch Logs' retention periods: " + ", ".join(map(str, LOG_RETENTION_DAYS)))
        return days

    @field_validator("powertools_layer_version", mode="before")
    @classmethod
    def _layer_version(cls, value: Any) -> int | None:
        if value in (None, ""):
            return None
        return _int(value, 1, 10_000)

    # --- settings that only make sense together ----------------------------------------------------------------

    @model_validator(mode="after")
    def _consistent(self) -> StackSettings:
        existing = bool(self.target_subnet_ids)
        if existing != bool(self.target_security_group_ids):
            given, missing = (
                ("target_subnet_ids", "target_security_group_ids")
                if existing
                else ("target_security_group_ids", "target_subnet_ids")
            )
            raise _cross(
                missing, getattr(self, missing), f"set together with {given} (both, or neither to create a VPC)"
            )
        if not existing:
            for name in ("target_vpc_id", "target_route_table_ids", "create_endpoints"):
                if getattr(self, name):
                    raise _cross(name, getattr(self, name), "only with target_subnet_ids (an existing network)")
        if self.create_endpoints:
            if not self.target_vpc_id:
                raise _cross("target_vpc_id", None, "the VPC of target_subnet_ids, when create_endpoints is true")
            if GATEWAY_ENDPOINTS & set(self.required_endpoints) and not self.target_route_table_ids:
                raise _cross(
                    "target_route_table_ids", (), "the route tables of target_subnet_ids, for the s3 gateway endpoint"
                )
        if self.approved_subnet_ids and existing:
            outside = [s for s in self.target_subnet_ids if s not in self.approved_subnet_ids]
            if outside:
                raise _cross(
                    "approved_subnet_ids",
                    self.approved_subnet_ids,
                    f"a list including every target subnet (missing {', '.join(outside)}): a recreated notebook "
                    "must pass the evaluation",
                )
        if self.alert_emails and self.alert_topic_arn:
            raise _cross(
                "alert_emails", self.alert_emails, "empty when alert_topic_arn is set (subscribe to that topic)"
            )
        if self.wait_max_seconds < self.wait_initial_seconds:
            raise _cross(
                "wait_max_seconds", self.wait_max_seconds, f">= wait_initial_seconds ({self.wait_initial_seconds})"
            )
        if self.wait_timeout_seconds < self.wait_max_seconds:
            raise _cross(
                "wait_timeout_seconds", self.wait_timeout_seconds, f">= wait_max_seconds ({self.wait_max_seconds})"
            )
        too_long = {w: s for w, s in self.event_wait_seconds.items() if s >= self.wait_timeout_seconds}
        if too_long:
            raise _cross(
                "event_wait_seconds",
                ",".join(f"{w}={s}" for w, s in too_long.items()),
                f"each shorter than wait_timeout_seconds ({self.wait_timeout_seconds}): a wait that passes its "
                "heartbeat falls back to polling within that bound",
            )
        polls = self.wait_schedule.polls_within_bound()
        if polls > MAX_POLLS_PER_WAIT:
            raise _cross(
                "wait_timeout_seconds",
                self.wait_timeout_seconds,
                f"a bound reached within {MAX_POLLS_PER_WAIT} polls per wait (this schedule needs {polls}: the "
                "execution history, 25,000 events, would run out first); raise wait_max_seconds or lower the bound",
            )
        return self

    @property
    def wait_schedule(self) -> WaitSchedule:
        """The schedule the functions derive from these settings (the poll cap follows the bound)."""
        return WaitSchedule(
            first_seconds=self.wait_initial_seconds,
            growth=constants.WAIT_GROWTH,
            max_interval_seconds=self.wait_max_seconds,
            bound_seconds=self.wait_timeout_seconds,
            heartbeats={heartbeat_key(w): s for w, s in self.event_wait_seconds.items()},
        )

    @property
    def effective_restart_action(self) -> Action:
        return self.restart_action or self.sweep_action

    @property
    def effective_finding_action(self) -> Action:
        return self.finding_action or self.sweep_action

    @property
    def creates_custom_actions(self) -> bool:
        """The Security Hub custom actions exist only when someone may have to approve."""
        return self.approval != Approval.NEVER and self.approval_custom_actions

    @property
    def uses_existing_network(self) -> bool:
        return bool(self.target_subnet_ids)

    @classmethod
    def from_context(cls, context: Mapping[str, Any]) -> StackSettings:
        """Validate the settings found in ``context``; other keys (CDK feature flags) are left alone."""
        raw = {name: context[name] for name in cls.model_fields if name in context and context[name] is not None}
        unknown = [key for key in context if _looks_like_setting(key) and key not in cls.model_fields]
        if unknown:
            hints = []
            for key in unknown:
                close = difflib.get_close_matches(key, cls.model_fields, n=1)
                hints.append(f"{key}" + (f" (did you mean {close[0]}?)" if close else ""))
            raise SettingsError("unknown setting " + ", ".join(hints) + "; known: " + ", ".join(cls.model_fields))
        try:
            return cls.model_validate(raw)
        except ValidationError as error:
            raise SettingsError("; ".join(_describe(e, raw) for e in error.errors())) from None


class _CrossFieldError(ValueError):
    pass


def _cross(name: str, value: Any, expected: str) -> _CrossFieldError:
    return _CrossFieldError(f"invalid setting {name}={_show(value)}: expected {expected}")


def _show(value: Any) -> str:
    if isinstance(value, tuple | list):
        return ",".join(str(v) for v in value) if value else "(empty)"
    return "(unset)" if value is None else str(value)


def _describe(error: Any, raw: Mapping[str, Any]) -> str:
    message = str(error.get("msg", ""))
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    if not error["loc"]:
        return message  # a cross-field error, already phrased
    name = str(error["loc"][0])
    if error.get("type") == "extra_forbidden":
        return f"unknown setting {name}"
    return f"invalid setting {name}={_show(raw.get(name))}: expected {message}"


def _looks_like_setting(key: str) -> bool:
    """Our settings are snake_case words; CDK's own keys carry '@', ':' or '-' (feature flags, aws:cdk:*)."""
    return bool(re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)+", key))

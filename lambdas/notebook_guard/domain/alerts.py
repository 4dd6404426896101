"""Alert messages: a text a person can read, followed by a JSON block a machine can parse.

The JSON block follows the schema ``notebook-guard/alert`` (see README, "Alert schema"). Bump
``SCHEMA_VERSION`` on any incompatible change; adding optional keys is compatible.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from enum import StrEnum
from urllib.parse import quote

from notebook_guard.domain.timestamps import utc_timestamp

SCHEMA = "notebook-guard/alert"
# 2.0: ``trigger`` says what happened (create, restart, sweep, manual) instead of "event"; new kinds
# (exempt, gone, compliant, duplicate); ``details`` may carry exemption_problem, differences, delivery.
# 2.1: trigger ``finding``; kind ``approval-requested``; optional ``details`` keys approval, security_hub,
# internet (evidence and fixes), preflight_warnings, skipped_subnets, subnet_id, create_attempts.
SCHEMA_VERSION = "2.1"
SUBJECT_LIMIT = 99  # SNS rejects subjects of 100 characters or more
JSON_MARKER = "--- machine-readable ---"


class AlertKind(StrEnum):
    VIOLATION = "violation"  # found; nothing done yet (notify, or handed to the workflow)
    REMEDIATION_STARTED = "remediation-started"
    REMEDIATED = "remediated"
    ROOT_ACCESS_FIXED = "root-access-fixed"
    QUARANTINED = "quarantined"
    BLOCKED = "blocked"  # preflight failed: nothing destructive was done
    STUCK = "stuck"  # a wait passed its bound
    FAILED = "failed"
    # Closing alerts of an execution that ended without acting, and the first time an exemption is honoured.
    EXEMPT = "exempt"
    GONE = "gone"
    COMPLIANT = "compliant"
    DUPLICATE = "duplicate"
    # The workflow waits for a person to approve (or reject) the remediation before it changes anything.
    APPROVAL_REQUESTED = "approval-requested"


_HEADLINES = {
    AlertKind.VIOLATION: "violates {controls}",
    AlertKind.REMEDIATION_STARTED: "caught, remediation started",  # action quarantine: _QUARANTINE_STARTED
    AlertKind.REMEDIATED: "remediated, now in the private subnet",
    AlertKind.ROOT_ACCESS_FIXED: "root access disabled",
    AlertKind.QUARANTINED: "stopped (quarantined) for {controls}",
    AlertKind.BLOCKED: "remediation blocked, nothing changed",
    AlertKind.STUCK: "remediation stuck, needs a person",
    AlertKind.FAILED: "remediation FAILED, read the restore steps",
    AlertKind.EXEMPT: "exempt, left alone",
    AlertKind.GONE: "no longer exists, nothing recreated",
    AlertKind.COMPLIANT: "compliant now, nothing done",
    AlertKind.DUPLICATE: "already handled by another workflow",
    AlertKind.APPROVAL_REQUESTED: "remediation waits for your approval",
}

_QUARANTINE_STARTED = "caught, being stopped (quarantine)"
# Kinds whose violations are history: the notebook no longer has them.
_FIXED = (AlertKind.REMEDIATED, AlertKind.ROOT_ACCESS_FIXED)

VOLUME = "ML storage volume (/home/ec2-user/SageMaker)"
# What happens to the notebook's storage volume, per kind, when the fix is to delete and recreate it
# (DeleteNotebookInstance destroys the volume; the snapshot is of the configuration, not of the disk).
_VOLUME_WHEN_RECREATED = {
    AlertKind.VIOLATION: (
        f"The fix deletes and recreates the notebook: deleting it destroys its {VOLUME} and every file on it. "
        "Copy what matters (e.g. to S3) before choosing 'remediate'; notebook-guard snapshots the "
        "configuration, not the disk."
    ),
    AlertKind.REMEDIATION_STARTED: (
        f"Deleting the notebook destroys its {VOLUME} and every file on it; the snapshot holds the notebook's "
        "configuration (settings, tags, lifecycle scripts), not its files: none of them will be on the recreated "
        "notebook's new volume."
    ),
    AlertKind.REMEDIATED: (
        f"The original notebook's {VOLUME} was destroyed when it was deleted: none of its files are on the "
        "recreated notebook's new volume. The snapshot restores the configuration only."
    ),
    AlertKind.FAILED: (
        f"If the notebook was deleted, its {VOLUME} was destroyed with it: the snapshot restores the "
        "configuration only, not the files."
    ),
    AlertKind.STUCK: (
        f"If the notebook was deleted, its {VOLUME} was destroyed with it: the snapshot restores the "
        "configuration only, not the files."
    ),
}
_VOLUME_KEPT = {
    AlertKind.QUARANTINED: f"The notebook was only stopped: its {VOLUME} is kept.",
    AlertKind.ROOT_ACCESS_FIXED: f"The notebook was stopped, updated and started, not deleted: its {VOLUME} is kept.",
}

_WHY = {
    "SageMaker.1": "Direct internet access lets the notebook send data anywhere without passing the VPC's controls.",
    "SageMaker.2": (
        "A notebook outside your VPC escapes every network control you own: no security group, no flow logs, "
        "yet its IAM role can still read your data."
    ),
    "SageMaker.3": "Root access lets any notebook user change the instance, its packages and its credentials.",
}


@dataclass
class Alert:
    kind: AlertKind
    account: str
    region: str
    notebook_name: str
    notebook_arn: str | None
    violations: list[dict] = field(default_factory=list)
    exempt: bool = False
    action: str | None = None
    trigger: str | None = None
    execution_id: str | None = None
    summary: str = ""  # one or two sentences on what happened and what was or will be done
    snapshot_uri: str | None = None
    restore_hint: str | None = None
    details: dict = field(default_factory=dict)
    time: str | None = None

    def __post_init__(self) -> None:
        # One timestamp format in every alert (UTC, "Z"), whatever the caller passed.
        if self.time:
            with contextlib.suppress(ValueError):  # not ISO 8601: shown as given rather than losing the alert
                self.time = utc_timestamp(self.time)

    @property
    def console_url(self) -> str:
        return (
            f"https://{self.region}.console.aws.amazon.com/sagemaker/home?region={self.region}"
            f"#/notebook-instances/{quote(self.notebook_name)}"
        )

    @property
    def control_ids(self) -> list[str]:
        return sorted({v["control_id"] for v in self.violations})

    @property
    def recreates(self) -> bool:
        """Whether the fix of these violations deletes and recreates the notebook."""
        return any(v.get("remedy") == "recreate" for v in self.violations)

    def headline(self) -> str:
        if self.kind is AlertKind.REMEDIATION_STARTED and self.action == "quarantine":
            return _QUARANTINE_STARTED
        return _HEADLINES[self.kind].format(controls=", ".join(self.control_ids) or "policy")

    def volume_note(self) -> str | None:
        """What happens (or happened) to the notebook's storage volume, when that is at stake."""
        if self.kind in _VOLUME_KEPT or (self.kind is AlertKind.REMEDIATION_STARTED and self.action == "quarantine"):
            return _VOLUME_KEPT.get(self.kind, f"Quarantine only stops the notebook: its {VOLUME} is kept.")
        if self.recreates and not self.exempt:
            return _VOLUME_WHEN_RECREATED.get(self.kind)
        return None

    def subject(self) -> str:
        # SNS subjects: under 100 ASCII characters, no line breaks. Notebook names are ASCII by AWS's pattern.
        text = f"[notebook-guard] {self.notebook_name}: {self.headline()}"
        return text if len(text) <= SUBJECT_LIMIT else text[: SUBJECT_LIMIT - 3] + "..."

    def document(self) -> dict:
        return {
            "schema": SCHEMA,
            "schema_version": SCHEMA_VERSION,
            "kind": self.kind.value,
            "time": self.time,
            "account": self.account,
            "region": self.region,
            "notebook": {"name": self.notebook_name, "arn": self.notebook_arn},
            "violations": self.violations,
            "control_ids": self.control_ids,
            "exempt": self.exempt,
            "action": self.action,
            "trigger": self.trigger,
            "execution_id": self.execution_id,
            "snapshot_uri": self.snapshot_uri,
            "restore": self.restore_hint,
            "console_url": self.console_url,
            "details": self.details,
        }

    def body(self) -> str:
        lines = [
            f"notebook-guard: SageMaker notebook instance '{self.notebook_name}' {self.headline()}.",
            "",
            f"Where:   account {self.account}, region {self.region}",
            f"ARN:     {self.notebook_arn or '(unknown)'}",
        ]
        if self.trigger:
            lines.append(f"Found by: {self.trigger}")
        if self.violations:
            fixed = self.kind in _FIXED
            lines += ["", "What was wrong:" if fixed else "What is wrong:"]
            lines += [f"  - {v['control_id']} ({v['check']}): {v['reason']}" for v in self.violations]
            if not fixed:
                whys = [_WHY[c] for c in self.control_ids if c in _WHY]
                lines += ["", "Why it matters:"] + [f"  {w}" for w in whys]
        if self.exempt:
            lines += ["", "This notebook is EXEMPT (exemption tag present): reported only, nothing will be done."]
        if self.details.get("exemption_problem"):
            lines += ["", f"Exemption tag NOT honoured: {self.details['exemption_problem']}."]
        if self.summary:
            lines += ["", "What was or will be done:", f"  {self.summary}"]
        volume = self.volume_note()
        if volume:
            lines += ["", "Storage volume:", f"  {volume}"]
        if self.details.get("how_to_decide"):
            lines += ["", "How to approve or reject:"] + [f"  {line}" for line in self.details["how_to_decide"]]
        if self.snapshot_uri:
            lines += ["", f"Snapshot: {self.snapshot_uri}"]
        if self.restore_hint:
            lines += ["", "How to restore:", f"  {self.restore_hint}"]
        if self.execution_id:
            lines += ["", f"Workflow execution: {self.execution_id}"]
        lines += ["", f"Console: {self.console_url}", "", JSON_MARKER]
        lines.append(json.dumps(self.document(), indent=2, default=str))
        return "\n".join(lines)

    def message_attributes(self) -> dict:
        """SNS message attributes so subscribers can filter without parsing the body."""
        attributes = {
            "schema_version": {"DataType": "String", "StringValue": SCHEMA_VERSION},
            "kind": {"DataType": "String", "StringValue": self.kind.value},
            "notebook_name": {"DataType": "String", "StringValue": self.notebook_name},
        }
        if self.control_ids:
            attributes["control_ids"] = {"DataType": "String.Array", "StringValue": json.dumps(self.control_ids)}
        return attributes


def parse_alert_body(body: str) -> dict:
    """Return the JSON document of an alert body (what a subscriber's parser does)."""
    _, _, tail = body.partition(JSON_MARKER)
    return json.loads(tail)

"""Alert messages: a text a person can read, followed by a JSON block a machine can parse.

The JSON block follows the schema ``notebook-guard/alert`` (see README, "Alert schema"). Bump
``SCHEMA_VERSION`` on any incompatible change; adding optional keys is compatible.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from urllib.parse import quote

SCHEMA = "notebook-guard/alert"
# 2.0: ``trigger`` says what happened (create, restart, sweep, manual) instead of "event"; new kinds
# (exempt, gone, compliant, duplicate); ``details`` may carry exemption_problem, differences, delivery.
# 2.1: trigger ``finding``; kind ``approval-requested``; ``details`` may carry approval and security_hub.
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
    AlertKind.REMEDIATION_STARTED: "caught, remediation started",
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

    @property
    def console_url(self) -> str:
        return (
            f"https://{self.region}.console.aws.amazon.com/sagemaker/home?region={self.region}"
            f"#/notebook-instances/{quote(self.notebook_name)}"
        )

    @property
    def control_ids(self) -> list[str]:
        return sorted({v["control_id"] for v in self.violations})

    def headline(self) -> str:
        return _HEADLINES[self.kind].format(controls=", ".join(self.control_ids) or "policy")

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
            lines += ["", "What is wrong:"]
            lines += [f"  - {v['control_id']} ({v['check']}): {v['reason']}" for v in self.violations]
            whys = [_WHY[c] for c in self.control_ids if c in _WHY]
            lines += ["", "Why it matters:"] + [f"  {w}" for w in whys]
        if self.exempt:
            lines += ["", "This notebook is EXEMPT (exemption tag present): reported only, nothing will be done."]
        if self.details.get("exemption_problem"):
            lines += ["", f"Exemption tag NOT honoured: {self.details['exemption_problem']}."]
        if self.summary:
            lines += ["", "What was or will be done:", f"  {self.summary}"]
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

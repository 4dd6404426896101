"""Value types shared by the evaluation, the alerts and the workflow steps."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum


class Action(StrEnum):
    """What a trigger is allowed to do to a violating notebook."""

    NOTIFY = "notify"  # alert only
    QUARANTINE = "quarantine"  # stop the notebook, alert
    REMEDIATE = "remediate"  # recreate it inside the private subnet (or fix root access in place)


class Trigger(StrEnum):
    """What happened to bring a notebook to notebook-guard; each trigger has its own action setting."""

    CREATE = "create"  # CloudTrail CreateNotebookInstance, or a state change of a just-created notebook
    RESTART = "restart"  # a state change of a notebook created earlier (started again by its owner)
    SWEEP = "sweep"  # the scheduled sweep
    MANUAL = "manual"  # an execution started by a person
    FINDING = "finding"  # a Security Hub control finding (SageMaker.1/.2/.3) imported as FAILED and NEW


class Remedy(StrEnum):
    """How a violation can be fixed: some fields are immutable, others can be updated while stopped."""

    RECREATE = "recreate"
    UPDATE_IN_PLACE = "update_in_place"


@dataclass(frozen=True)
class Violation:
    control_id: str  # Security Hub control id, e.g. "SageMaker.2"
    check: str  # stable machine name of the failed check, e.g. "no-subnet"
    title: str
    reason: str
    remedy: Remedy

    def to_dict(self) -> dict:
        return {
            "control_id": self.control_id,
            "check": self.check,
            "title": self.title,
            "reason": self.reason,
            "remedy": self.remedy.value,
        }


@dataclass(frozen=True)
class Exemption:
    reason: str
    until: date | None = None

    def to_dict(self) -> dict:
        return {"reason": self.reason, "until": self.until.isoformat() if self.until else None}


@dataclass(frozen=True)
class NotebookFacts:
    """The fields of DescribeNotebookInstance that the evaluation needs, normalised."""

    name: str
    arn: str
    status: str
    subnet_id: str | None
    security_group_ids: tuple[str, ...]
    direct_internet_access: str  # "Enabled" | "Disabled"
    root_access: str  # "Enabled" | "Disabled"
    creation_time: str | None  # ISO 8601, as a stable part of the dedupe key

    @classmethod
    def from_describe(cls, describe: dict) -> NotebookFacts:
        created = describe.get("CreationTime")
        return cls(
            name=describe["NotebookInstanceName"],
            arn=describe["NotebookInstanceArn"],
            status=describe.get("NotebookInstanceStatus", "Unknown"),
            # Describe omits SubnetId for a notebook in the service VPC; treat "" the same way.
            subnet_id=describe.get("SubnetId") or None,
            security_group_ids=tuple(describe.get("SecurityGroups") or ()),
            # AWS defaults both to Enabled when they were not given at creation.
            direct_internet_access=describe.get("DirectInternetAccess") or "Enabled",
            root_access=describe.get("RootAccess") or "Enabled",
            creation_time=created.isoformat() if hasattr(created, "isoformat") else created,
        )


@dataclass(frozen=True)
class Evaluation:
    notebook: NotebookFacts
    violations: tuple[Violation, ...]
    exemption: Exemption | None = None
    # Why an exemption tag was present but not honoured (expired, unparseable date, no reason).
    exemption_problem: str | None = None
    tags: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def compliant(self) -> bool:
        return not self.violations

    @property
    def exempt(self) -> bool:
        return self.exemption is not None

    @property
    def actionable(self) -> bool:
        """In violation and not exempt: something must be done."""
        return bool(self.violations) and not self.exempt

    @property
    def remedy(self) -> Remedy | None:
        """The strongest fix needed: one immutable field means the notebook must be recreated."""
        if not self.violations:
            return None
        if any(v.remedy is Remedy.RECREATE for v in self.violations):
            return Remedy.RECREATE
        return Remedy.UPDATE_IN_PLACE

    @property
    def control_ids(self) -> list[str]:
        return sorted({v.control_id for v in self.violations})

    def to_dict(self) -> dict:
        return {
            "notebook_name": self.notebook.name,
            "notebook_arn": self.notebook.arn,
            "status": self.notebook.status,
            "subnet_id": self.notebook.subnet_id,
            "compliant": self.compliant,
            "exempt": self.exempt,
            "exemption": self.exemption.to_dict() if self.exemption else None,
            "exemption_problem": self.exemption_problem,
            "remedy": self.remedy.value if self.remedy else None,
            "violations": [v.to_dict() for v in self.violations],
        }

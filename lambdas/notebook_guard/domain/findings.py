"""Security Hub control findings about a notebook, and what the workflow writes on them. Pure: no boto3.

The workflow follows each notebook's control findings (SageMaker.1/.2/.3): ``NOTIFIED`` with a note when it
starts to act, a note (still ``NOTIFIED``) at every end a person should read (blocked, failed, stuck, not
approved...), ``RESOLVED``
with a note once the recreated notebook passed Verify, and ``SUPPRESSED`` for an exempt notebook when the
deployment asks for it. Only findings still ``NEW`` or ``NOTIFIED`` are touched: a finding a person resolved or
suppressed keeps their decision and their note (a finding has one Note; BatchUpdateFindings replaces it).

Findings come in two shapes, both handled: consolidated control findings (``GeneratorId``
``security-control/SageMaker.2``) and per-standard ones (``aws-foundational-security-best-practices/v/1.0.0/
SageMaker.2``); both carry ``Compliance.SecurityControlId`` (AWS Security Hub User Guide, "Consolidated control
findings"), and the GeneratorId's last segment names the control when it is missing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum

CONTROL_IDS = ("SageMaker.1", "SageMaker.2", "SageMaker.3")
NOTEBOOK_RESOURCE_TYPE = "AwsSageMakerNotebookInstance"
# BatchUpdateFindings and BatchImportFindings take at most 100 findings a call (API Reference).
BATCH_LIMIT = 100
# Note.Text: at most 512 characters (API Reference, "Note").
NOTE_LIMIT = 512
UPDATED_BY = "notebook-guard"
# UnprocessedFindings error codes worth another try (API Reference, BatchUpdateFindingsUnprocessedFinding):
# a concurrent update (also caused by an import at the same time) or an internal failure. FindingNotFound,
# DuplicatedFindingIdentifier, FindingSizeExceeded and InvalidInput would fail again.
RETRYABLE_ERRORS = frozenset({"ConcurrentUpdateError", "InternalFailure"})
OWN_GENERATOR = "notebook-guard/remediation"
OWN_TYPE = "Software and Configuration Checks/AWS Security Best Practices/Network Reachability"
ASFF_SCHEMA_VERSION = "2018-10-08"
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 1024


class WorkflowStatus(StrEnum):
    NEW = "NEW"
    NOTIFIED = "NOTIFIED"
    RESOLVED = "RESOLVED"
    SUPPRESSED = "SUPPRESSED"


# Findings the workflow may still write on; a RESOLVED or SUPPRESSED finding is a person's (or Security Hub's).
OPEN_STATUSES = (WorkflowStatus.NEW, WorkflowStatus.NOTIFIED)

# Moments the workflow writes a finding at, besides the closing outcomes of the Notify step.
STARTED = "started"
APPROVAL_REQUESTED = "approval-requested"


@dataclass(frozen=True)
class FindingUpdate:
    status: WorkflowStatus | None  # None: only the note changes
    note: str

    def request(self, identifiers: list[dict]) -> dict:
        """The BatchUpdateFindings request for these findings (at most BATCH_LIMIT)."""
        request: dict = {
            "FindingIdentifiers": identifiers,
            "Note": {"Text": self.note[:NOTE_LIMIT], "UpdatedBy": UPDATED_BY},
        }
        if self.status is not None:
            request["Workflow"] = {"Status": self.status.value}
        return request


def control_id_of(finding: dict) -> str | None:
    """The control a finding is about (consolidated or per-standard), or None when it is not a control finding."""
    compliance = finding.get("Compliance") or {}
    if compliance.get("SecurityControlId"):
        return str(compliance["SecurityControlId"])
    last = str(finding.get("GeneratorId") or "").rsplit("/", 1)[-1]
    return last if last in CONTROL_IDS else None


def is_notebook_control_finding(finding: dict) -> bool:
    return control_id_of(finding) in CONTROL_IDS and bool(notebook_arns_of(finding))


def notebook_arns_of(finding: dict) -> list[str]:
    return [
        str(r["Id"])
        for r in finding.get("Resources") or []
        if r.get("Type") == NOTEBOOK_RESOURCE_TYPE and str(r.get("Id", "")).startswith("arn:")
    ]


def notebook_name_in(finding: dict, arn: str) -> str | None:
    """The notebook's name as the finding's resource details give it (the ARN lower-cases the name)."""
    for resource in finding.get("Resources") or []:
        if resource.get("Id") == arn:
            details = (resource.get("Details") or {}).get(NOTEBOOK_RESOURCE_TYPE) or {}
            if details.get("NotebookInstanceName"):
                return str(details["NotebookInstanceName"])
    return None


def identifier(finding: dict) -> dict:
    return {"Id": finding["Id"], "ProductArn": finding["ProductArn"]}


def workflow_status(finding: dict) -> str:
    return str((finding.get("Workflow") or {}).get("Status") or finding.get("WorkflowState") or "NEW")


def open_findings(findings: Iterable[dict]) -> list[dict]:
    return [f for f in findings if workflow_status(f) in OPEN_STATUSES]


def batches(items: list, size: int = BATCH_LIMIT) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def execution_name(document: dict) -> str:
    return str(document.get("execution_id") or "?").rsplit(":", 1)[-1]


def update_for(moment: str, document: dict, summary: str = "", suppress_exempt: bool = False) -> FindingUpdate | None:
    """What the workflow writes on the notebook's open findings at ``moment`` (None: nothing).

    ``moment`` is ``started``, ``approval-requested`` or a closing outcome of the Notify step; ``summary`` is
    that step's account of the outcome (it says how an approval was decided, when there was one).
    """
    run = f"notebook-guard execution {execution_name(document)}"
    action = document.get("action")
    if moment == STARTED:
        return FindingUpdate(
            WorkflowStatus.NOTIFIED, f"{run} handles this notebook: action {action}, trigger {document.get('trigger')}."
        )
    if moment == APPROVAL_REQUESTED:
        return FindingUpdate(
            WorkflowStatus.NOTIFIED, f"{run} waits for a person to approve '{action}' before acting. {summary}"
        )
    if moment == "remediated":
        snapshot = document.get("snapshot") or {}
        verified = (document.get("verified") or {}).get("after") or {}
        where = f" Now in subnet {verified['subnet_id']}." if verified.get("subnet_id") else ""
        kept = (
            f" Snapshot {snapshot.get('uri')} (version {snapshot.get('version_id')})." if snapshot.get("uri") else ""
        )
        return FindingUpdate(WorkflowStatus.RESOLVED, f"Remediated by {run}.{where}{kept} {summary}")
    if moment == "exempt":
        return FindingUpdate(WorkflowStatus.SUPPRESSED if suppress_exempt else None, f"{run}: exempt. {summary}")
    if moment in ("blocked", "failed", "stuck", "violation", "quarantined"):
        # NOTIFIED again (a no-op when the start set it): a note left on a NEW finding would emit a NEW event,
        # which the finding rule matches, and the next trigger would come round again.
        return FindingUpdate(WorkflowStatus.NOTIFIED, f"{run}: {moment}. {summary}")
    if moment == "gone":  # a NEW event of a notebook that is gone starts nothing (the intake finds no notebook)
        return FindingUpdate(None, f"{run}: {moment}. {summary}")
    # compliant: Security Hub resolves the finding itself once the control passes; duplicate: the holder writes;
    # blocked-again: the same note is already there.
    return None


@dataclass(frozen=True)
class OwnFindingContext:
    account: str
    region: str
    partition: str
    now: str  # ISO 8601


_SEVERITY = {
    "remediated": "INFORMATIONAL",
    "quarantined": "MEDIUM",
    "violation": "HIGH",
    "blocked": "HIGH",
    "stuck": "HIGH",
    "failed": "CRITICAL",
}
OWN_OUTCOMES = frozenset(_SEVERITY)


def own_product_arn(partition: str, region: str, account: str) -> str:
    """The default product ARN an account imports its own findings under (ASFF, "ProductArn")."""
    return f"arn:{partition}:securityhub:{region}:{account}:product/{account}/default"


def own_finding(outcome: str, document: dict, summary: str, context: OwnFindingContext) -> dict | None:
    """An ASFF finding recording what this execution did (None for outcomes that did nothing worth one).

    The required top-level attributes (AWS Security Hub User Guide, "Required top-level ASFF attributes") are all
    set. No Compliance.SecurityControlId, so the finding rule that starts workflows never matches our own findings.
    """
    if outcome not in OWN_OUTCOMES or not document.get("notebook_arn"):
        return None
    name = document.get("notebook_name") or "?"
    snapshot = document.get("snapshot") or {}
    fields = {
        "notebook-guard/Execution": document.get("execution_id"),
        "notebook-guard/Outcome": outcome,
        "notebook-guard/Action": document.get("action"),
        "notebook-guard/Trigger": document.get("trigger"),
        "notebook-guard/Snapshot": snapshot.get("uri"),
    }
    return {
        "SchemaVersion": ASFF_SCHEMA_VERSION,
        "Id": f"notebook-guard/{execution_name(document)}",
        "ProductArn": own_product_arn(context.partition, context.region, context.account),
        "GeneratorId": OWN_GENERATOR,
        "AwsAccountId": context.account,
        "Types": [OWN_TYPE],
        "CreatedAt": document.get("started_at") or context.now,
        "UpdatedAt": context.now,
        "Severity": {"Label": _SEVERITY[outcome]},
        "Title": f"notebook-guard: notebook {name} {outcome}"[:TITLE_LIMIT],
        "Description": (summary or outcome)[:DESCRIPTION_LIMIT],
        "Resources": [
            {
                "Type": NOTEBOOK_RESOURCE_TYPE,
                "Id": document["notebook_arn"],
                "Partition": context.partition,
                "Region": context.region,
            }
        ],
        "ProductFields": {key: str(value)[:2048] for key, value in fields.items() if value},
        "RecordState": "ACTIVE",
    }

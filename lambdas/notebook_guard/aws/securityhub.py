"""Security Hub: a notebook's control findings (GetFindings), updating them (BatchUpdateFindings) and importing
notebook-guard's own findings (BatchImportFindings).

BatchUpdateFindingsV2 (the OCSF findings of the newer Security Hub) is not used: AWS's API Reference says "This
API is in private preview and subject to change" (see the README, "Security Hub").
"""

from __future__ import annotations

from botocore.exceptions import ClientError

from notebook_guard.aws.clients import client
from notebook_guard.aws.errors import error_code
from notebook_guard.domain.findings import CONTROL_IDS, OPEN_STATUSES

# Security Hub not enabled in the account and region: "Account 111122223333 is not subscribed to AWS Security Hub"
# (InvalidAccessException, HTTP 401; API Reference, Common Errors of every Security Hub operation).
NOT_ENABLED = "InvalidAccessException"


def _equals(*values: str) -> list[dict]:
    return [{"Value": value, "Comparison": "EQUALS"} for value in values]


def control_findings_filters(notebook_arn: str) -> dict:
    """GetFindings filters: the notebook's active SageMaker.1/.2/.3 control findings still NEW or NOTIFIED.

    Values of one attribute are ORed, attributes ANDed (API Reference, AwsSecurityFindingFilters).
    ``ComplianceSecurityControlId`` matches consolidated and per-standard control findings alike.
    """
    return {
        "ComplianceSecurityControlId": _equals(*CONTROL_IDS),
        "ResourceId": _equals(notebook_arn),
        "RecordState": _equals("ACTIVE"),
        "WorkflowStatus": _equals(*(s.value for s in OPEN_STATUSES)),
    }


def control_findings(notebook_arn: str, region: str | None = None) -> list[dict]:
    """Every open control finding about the notebook (GetFindings, paginated, 100 a page)."""
    paginator = client("securityhub", region).get_paginator("get_findings")
    findings: list[dict] = []
    pages = paginator.paginate(Filters=control_findings_filters(notebook_arn), PaginationConfig={"PageSize": 100})
    for page in pages:
        findings += page.get("Findings", [])
    return findings


def update_findings(request: dict, region: str | None = None) -> tuple[list[dict], list[dict]]:
    """One BatchUpdateFindings call (at most 100 findings): (ProcessedFindings, UnprocessedFindings)."""
    response = client("securityhub", region).batch_update_findings(**request)
    return response.get("ProcessedFindings", []), response.get("UnprocessedFindings", [])


def import_findings(findings: list[dict], region: str | None = None) -> list[dict]:
    """One BatchImportFindings call (at most 100 findings); returns FailedFindings."""
    response = client("securityhub", region).batch_import_findings(Findings=findings)
    return response.get("FailedFindings", [])


def is_not_enabled(error: BaseException) -> bool:
    return isinstance(error, ClientError) and error_code(error) == NOT_ENABLED

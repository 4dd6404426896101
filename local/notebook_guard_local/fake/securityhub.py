"""Security Hub as AWS documents it, for the calls notebook-guard makes (moto 5.2.5's Security Hub ignores
GetFindings' filters, checks nothing on import and has neither BatchUpdateFindings nor custom actions).

Request and response shapes are the API Reference's; what AWS refuses, this refuses:
- every operation but EnableSecurityHub, while Security Hub is not enabled in the region: ``InvalidAccessException``
  (HTTP 401) "Account ACCOUNT is not subscribed to AWS Security Hub" (the text AWS answers, as reported in
  prowler-cloud/prowler#1143 and joshlarsen/aws-recon#65);
- GetFindings: ``MaxResults`` outside 1-100, an unknown ``NextToken``; filters of one attribute are ORed (EQUALS,
  PREFIX, CONTAINS) or ANDed (NOT_EQUALS, PREFIX_NOT_EQUALS, NOT_CONTAINS), attributes ANDed;
- BatchUpdateFindings: more than 100 findings, a note over 512 characters or a status AWS does not have
  (``InvalidInputException``); per finding, ``UnprocessedFindings`` with ``FindingNotFound`` or
  ``DuplicatedFindingIdentifier`` and AWS's messages ("Finding Not Found", "Finding Identifier is duplicated");
  ``fail_updates`` injects ``ConcurrentUpdateError``. Every update emits a "Security Hub Findings - Imported"
  event (User Guide, "BatchUpdateFindings for customers"), kept in ``events``;
- BatchImportFindings: more than 100 findings (``InvalidInputException``); a finding for another account or under
  another product than the account's default one: ``AccessDeniedException`` for the whole call (as AWS Support
  explained in prowler-cloud/prowler#867); no resource, or a title or description too long: ``FailedFindings``;
  re-importing a finding leaves its Workflow, Note, UserDefinedFields and VerificationState alone (CLI reference,
  batch-import-findings);
- CreateActionTarget: an id of more than 20 alphanumeric characters, a name of more than 20 characters
  (``InvalidInputException``), an existing id (``ResourceConflictException``); DeleteActionTarget of an unknown
  ARN (``ResourceNotFoundException``).
The exact texts of InvalidInputException are this fake's (AWS's were not found); codes and status are AWS's.

Installed like ``Faults``, as a ``before-send`` handler, but placed just before moto's own stubber, so a fault
injected at a Security Hub call and the IAM enforcement (both first in the list) still apply to it.
"""

from __future__ import annotations

import base64
import copy
import json
import re
import threading
import uuid
from datetime import UTC, datetime
from unittest import mock

import botocore.handlers
from botocore.awsrequest import AWSResponse
from moto.core.botocore_stubber import BotocoreStubber, MockRawResponse

from notebook_guard.domain.findings import NOTEBOOK_RESOURCE_TYPE, own_product_arn
from notebook_guard_local.fake.enforcement import DEFAULT_ACCOUNT, _region_of

PARAMS_KEY = "fake_securityhub_params"
STANDARD = "aws-foundational-security-best-practices/v/1.0.0"
CONTROL_PRODUCT = "arn:aws:securityhub:{region}::product/aws/securityhub"
_ACTION_ID = re.compile(r"^[A-Za-z0-9]{1,20}$")
# GetFindings filter name -> how to read the value(s) from a finding.
_FIELDS = {
    "Id": lambda f: [f.get("Id")],
    "ProductArn": lambda f: [f.get("ProductArn")],
    "GeneratorId": lambda f: [f.get("GeneratorId")],
    "AwsAccountId": lambda f: [f.get("AwsAccountId")],
    "Region": lambda f: [f.get("Region")],
    "RecordState": lambda f: [f.get("RecordState")],
    "WorkflowStatus": lambda f: [(f.get("Workflow") or {}).get("Status")],
    "ComplianceStatus": lambda f: [(f.get("Compliance") or {}).get("Status")],
    "ComplianceSecurityControlId": lambda f: [(f.get("Compliance") or {}).get("SecurityControlId")],
    "ResourceId": lambda f: [r.get("Id") for r in f.get("Resources") or []],
    "ResourceType": lambda f: [r.get("Type") for r in f.get("Resources") or []],
}
_POSITIVE = {"EQUALS": lambda v, x: v == x, "PREFIX": lambda v, x: v.startswith(x), "CONTAINS": lambda v, x: x in v}
_NEGATIVE = {
    "NOT_EQUALS": lambda v, x: v != x,
    "PREFIX_NOT_EQUALS": lambda v, x: not v.startswith(x),
    "NOT_CONTAINS": lambda v, x: x not in v,
}
STATUSES = ("NEW", "NOTIFIED", "RESOLVED", "SUPPRESSED")


class _Refused(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _invalid(message: str) -> _Refused:
    return _Refused(400, "InvalidInputException", message)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class FakeSecurityHub:
    """``with FakeSecurityHub() as hub:``; Security Hub starts enabled in every region (``disable(region)``)."""

    def __init__(self, account: str = DEFAULT_ACCOUNT) -> None:
        self.account = account
        self._lock = threading.RLock()
        self.disabled_regions: set[str] = set()
        self.findings: dict[tuple[str, str], dict] = {}  # (Id, ProductArn) -> finding
        self.action_targets: dict[str, dict] = {}  # ARN -> {ActionTargetArn, Name, Description}
        self.requests: list[tuple[str, dict]] = []  # (operation, parameters) as received, in order
        self.events: list[dict] = []  # the "Security Hub Findings - Imported" events AWS would send
        self._update_failures: list[list] = []  # [error code, calls left]

    # Test controls ------------------------------------------------------------------------------------------
    def disable(self, region: str) -> None:
        with self._lock:
            self.disabled_regions.add(region)

    def enable(self, region: str) -> None:
        with self._lock:
            self.disabled_regions.discard(region)

    def reset(self) -> None:
        with self._lock:
            self.disabled_regions.clear()
            self.findings.clear()
            self.action_targets.clear()
            self.requests.clear()
            self.events.clear()
            self._update_failures.clear()

    def fail_updates(self, code: str = "ConcurrentUpdateError", times: int = 1) -> None:
        """The next ``times`` BatchUpdateFindings calls leave every finding unprocessed with ``code``."""
        with self._lock:
            self._update_failures.append([code, times])

    def add_control_finding(
        self,
        notebook_arn: str,
        control_id: str = "SageMaker.2",
        *,
        consolidated: bool = True,
        workflow: str = "NEW",
        record_state: str = "ACTIVE",
        compliance: str = "FAILED",
        notebook_name: str | None = None,
        emit: bool = True,
    ) -> dict:
        """A control finding as Security Hub makes it (consolidated, or per standard), about one notebook."""
        parts = notebook_arn.split(":")
        region, account = parts[3], parts[4]
        generator = f"security-control/{control_id}" if consolidated else f"{STANDARD}/{control_id}"
        subscription = "security-control" if consolidated else f"subscription/{STANDARD}"
        finding_id = f"arn:aws:securityhub:{region}:{account}:{subscription}/{control_id}/finding/{uuid.uuid4()}"
        details = {"AwsSageMakerNotebookInstance": {"NotebookInstanceName": notebook_name}} if notebook_name else None
        resource = {"Type": NOTEBOOK_RESOURCE_TYPE, "Id": notebook_arn, "Partition": "aws", "Region": region}
        if details:
            resource["Details"] = details
        now = _now()
        finding = {
            "SchemaVersion": "2018-10-08",
            "Id": finding_id,
            "ProductArn": CONTROL_PRODUCT.format(region=region),
            "ProductName": "Security Hub",
            "CompanyName": "AWS",
            "Region": region,
            "GeneratorId": generator,
            "AwsAccountId": account,
            "Types": ["Software and Configuration Checks/Industry and Regulatory Standards"],
            "CreatedAt": now,
            "UpdatedAt": now,
            "Severity": {"Label": "HIGH", "Normalized": 70, "Original": "HIGH"},
            "Title": f"{control_id} SageMaker notebook instances should not have direct internet access",
            "Description": f"This control checks a SageMaker notebook instance ({control_id}).",
            "Resources": [resource],
            "Compliance": {"Status": compliance, "SecurityControlId": control_id},
            "WorkflowState": workflow,
            "Workflow": {"Status": workflow},
            "RecordState": record_state,
        }
        with self._lock:
            self.findings[(finding_id, finding["ProductArn"])] = finding
            if emit:
                self.events.append(self.imported_event(finding))
        return copy.deepcopy(finding)

    def finding(self, finding_id: str) -> dict:
        with self._lock:
            return copy.deepcopy(next(f for (i, _), f in self.findings.items() if i == finding_id))

    def findings_about(self, notebook_arn: str) -> list[dict]:
        with self._lock:
            return [
                copy.deepcopy(f)
                for f in self.findings.values()
                if any(r.get("Id") == notebook_arn for r in f.get("Resources") or [])
            ]

    def imported_event(self, finding: dict) -> dict:
        """The EventBridge event Security Hub sends for a new or updated finding (User Guide, event formats)."""
        return {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Security Hub Findings - Imported",
            "source": "aws.securityhub",
            "account": finding["AwsAccountId"],
            "time": _now(),
            "region": finding.get("Region") or "us-east-1",
            "resources": [finding["Id"]],
            "detail": {"findings": [copy.deepcopy(finding)]},
        }

    def custom_action_event(self, action_arn: str, findings: list[dict], action_name: str | None = None) -> dict:
        """The event a custom action sends for chosen findings: it names no person (User Guide, event formats)."""
        target = self.action_targets.get(action_arn) or {}
        parts = action_arn.split(":")
        return {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Security Hub Findings - Custom Action",
            "source": "aws.securityhub",
            "account": parts[4],
            "time": _now(),
            "region": parts[3],
            "resources": [action_arn],
            "detail": {
                "actionName": action_name or target.get("Name") or action_arn.rsplit("/", 1)[-1],
                "actionDescription": target.get("Description") or "",
                "findings": copy.deepcopy(findings),
            },
        }

    # Operations ---------------------------------------------------------------------------------------------
    def _get_findings(self, params: dict, region: str) -> dict:
        size = params.get("MaxResults", 100)
        if not 1 <= int(size) <= 100:
            raise _invalid("MaxResults must be a number between 1 and 100")
        filters = params.get("Filters") or {}
        for name in filters:
            if name not in _FIELDS:
                raise _invalid(f"this fake does not simulate the GetFindings filter {name}")
        matched = [
            f
            for f in self.findings.values()
            if (f.get("Region") or region) == region and all(_matches(f, n, c) for n, c in filters.items())
        ]
        start = 0
        if params.get("NextToken"):
            try:
                start = int(base64.b64decode(params["NextToken"]).decode())
            except ValueError:
                raise _invalid("Invalid NextToken") from None
        page = matched[start : start + int(size)]
        response: dict = {"Findings": copy.deepcopy(page)}
        if start + int(size) < len(matched):
            response["NextToken"] = base64.b64encode(str(start + int(size)).encode()).decode()
        return response

    def _batch_update_findings(self, params: dict, region: str) -> dict:
        identifiers = params.get("FindingIdentifiers") or []
        if not identifiers or len(identifiers) > 100:
            raise _invalid("FindingIdentifiers must list 1 to 100 findings")
        status = (params.get("Workflow") or {}).get("Status")
        if status is not None and status not in STATUSES:
            raise _invalid(f"Workflow.Status must be one of {', '.join(STATUSES)}")
        note = params.get("Note")
        if note is not None and len(note.get("Text", "")) > 512:  # API Reference, Note: Text at most 512
            raise _invalid("Note.Text is at most 512 characters")
        failure = None
        if self._update_failures:
            failure = self._update_failures[0][0]
            self._update_failures[0][1] -= 1
            if self._update_failures[0][1] <= 0:
                self._update_failures.pop(0)
        processed, unprocessed, seen = [], [], set()
        for identifier in identifiers:
            key = (identifier.get("Id"), identifier.get("ProductArn"))
            if key in seen:
                unprocessed.append(_unprocessed(identifier, "DuplicatedFindingIdentifier"))
                continue
            seen.add(key)
            finding = self.findings.get(key)
            if finding is None:
                unprocessed.append(_unprocessed(identifier, "FindingNotFound"))
                continue
            if failure:
                unprocessed.append(_unprocessed(identifier, failure))
                continue
            if status is not None:
                finding["Workflow"] = {"Status": status}
                finding["WorkflowState"] = status
            if note is not None:
                finding["Note"] = {"Text": note["Text"], "UpdatedBy": note["UpdatedBy"], "UpdatedAt": _now()}
            processed.append({"Id": key[0], "ProductArn": key[1]})
            self.events.append(self.imported_event(finding))
        return {"ProcessedFindings": processed, "UnprocessedFindings": unprocessed}

    def _batch_import_findings(self, params: dict, region: str) -> dict:
        findings = params.get("Findings") or []
        if not findings or len(findings) > 100:
            raise _invalid("Findings must list 1 to 100 findings")
        product = own_product_arn("aws", region, self.account)
        for finding in findings:
            if finding.get("AwsAccountId") != self.account or finding.get("ProductArn") != product:
                raise _Refused(
                    403,
                    "AccessDeniedException",
                    f"User is not authorized to perform: securityhub:BatchImportFindings on resource: "
                    f"{finding.get('ProductArn')}",
                )
        failed = []
        for finding in findings:
            problem = _import_problem(finding)
            if problem:
                failed.append({"Id": finding.get("Id"), "ErrorCode": "InvalidInput", "ErrorMessage": problem})
                continue
            key = (finding["Id"], finding["ProductArn"])
            stored = {**copy.deepcopy(finding), "Region": region}
            existing = self.findings.get(key)
            for kept in ("Workflow", "Note", "UserDefinedFields", "VerificationState"):
                if existing is not None and kept in existing:
                    stored[kept] = existing[kept]
                elif existing is not None:
                    stored.pop(kept, None)
            stored.setdefault("Workflow", {"Status": "NEW"})
            self.findings[key] = stored
            self.events.append(self.imported_event(stored))
        return {"FailedCount": len(failed), "SuccessCount": len(findings) - len(failed), "FailedFindings": failed}

    def _create_action_target(self, params: dict, region: str) -> dict:
        action_id, name = params.get("Id", ""), params.get("Name", "")
        if not _ACTION_ID.match(action_id):
            raise _invalid("Id can contain up to 20 alphanumeric characters")
        if not 1 <= len(name) <= 20:
            raise _invalid("Name can contain up to 20 characters")
        arn = f"arn:aws:securityhub:{region}:{self.account}:action/custom/{action_id}"
        if arn in self.action_targets:
            raise _Refused(409, "ResourceConflictException", f"Action target {arn} already exists")
        self.action_targets[arn] = {"ActionTargetArn": arn, "Name": name, "Description": params.get("Description")}
        return {"ActionTargetArn": arn}

    def _delete_action_target(self, params: dict, region: str) -> dict:
        arn = params.get("ActionTargetArn", "")
        if self.action_targets.pop(arn, None) is None:
            raise _Refused(404, "ResourceNotFoundException", f"Action target {arn} not found")
        return {"ActionTargetArn": arn}

    def _describe_action_targets(self, params: dict, region: str) -> dict:
        wanted = params.get("ActionTargetArns")
        targets = [t for a, t in self.action_targets.items() if not wanted or a in wanted]
        return {"ActionTargets": copy.deepcopy(targets)}

    def _enable_security_hub(self, params: dict, region: str) -> dict:
        self.disabled_regions.discard(region)
        return {}

    def _describe_hub(self, params: dict, region: str) -> dict:
        return {"HubArn": f"arn:aws:securityhub:{region}:{self.account}:hub/default", "SubscribedAt": _now()}

    _OPERATIONS = {
        "GetFindings": _get_findings,
        "BatchUpdateFindings": _batch_update_findings,
        "BatchImportFindings": _batch_import_findings,
        "CreateActionTarget": _create_action_target,
        "DeleteActionTarget": _delete_action_target,
        "DescribeActionTargets": _describe_action_targets,
        "EnableSecurityHub": _enable_security_hub,
        "DescribeHub": _describe_hub,
    }

    # botocore handlers --------------------------------------------------------------------------------------
    def remember_params(self, params, context, model=None, **kwargs) -> None:
        if context is not None and model is not None and model.service_model.service_name == "securityhub":
            context[PARAMS_KEY] = json.loads(json.dumps(params, default=str))

    def __call__(self, request, event_name: str, **kwargs):
        _, service, operation = event_name.split(".", 2)
        if service != "securityhub":
            return None
        params = (getattr(request, "context", None) or {}).get(PARAMS_KEY, {})
        region = _region_of(request.url)
        with self._lock:
            self.requests.append((operation, copy.deepcopy(params)))
            try:
                if region in self.disabled_regions and operation != "EnableSecurityHub":
                    raise _Refused(
                        401, "InvalidAccessException", f"Account {self.account} is not subscribed to AWS Security Hub"
                    )
                handler = self._OPERATIONS.get(operation)
                if handler is None:
                    raise _invalid(f"this fake does not simulate {operation}")
                status, body, headers = 200, handler(self, params, region), {}
            except _Refused as refused:
                status, body = refused.status, {"Code": refused.code, "Message": refused.message}
                headers = {"x-amzn-ErrorType": refused.code}
        headers.update({"Content-Type": "application/json", "x-amzn-RequestId": str(uuid.uuid4())})
        # botocore calls every before-send handler and keeps the first answer: moto's stubber must not also act.
        request.notebook_guard_fault = True
        return AWSResponse(request.url, status, headers, MockRawResponse(json.dumps(body).encode()))

    def __enter__(self) -> FakeSecurityHub:
        handlers = botocore.handlers.BUILTIN_HANDLERS
        stubber = next((i for i, entry in enumerate(handlers) if _is_moto_stubber(*entry[:2])), len(handlers))
        handlers.insert(stubber, ("before-send", self))
        handlers.insert(0, ("before-parameter-build", self.remember_params))
        original = BotocoreStubber.__call__

        def stubber_call(stub, event_name, request, **kwargs):
            if getattr(request, "notebook_guard_fault", False):
                return None
            return original(stub, event_name, request, **kwargs)

        self._stubber_patch = mock.patch.object(BotocoreStubber, "__call__", stubber_call)
        self._stubber_patch.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stubber_patch.stop()
        botocore.handlers.BUILTIN_HANDLERS.remove(("before-send", self))
        botocore.handlers.BUILTIN_HANDLERS.remove(("before-parameter-build", self.remember_params))


def _is_moto_stubber(event: str, handler) -> bool:
    return event == "before-send" and isinstance(handler, BotocoreStubber)


def _matches(finding: dict, name: str, conditions: list[dict]) -> bool:
    values = [str(v) for v in _FIELDS[name](finding) if v is not None]
    positives = [c for c in conditions if c.get("Comparison", "EQUALS") in _POSITIVE]
    negatives = [c for c in conditions if c.get("Comparison") in _NEGATIVE]
    def positive(condition: dict, value: str) -> bool:
        return _POSITIVE[condition.get("Comparison", "EQUALS")](value, condition["Value"])

    if positives and not any(positive(c, v) for c in positives for v in values):
        return False
    return all(all(_NEGATIVE[c["Comparison"]](v, c["Value"]) for v in values) for c in negatives)


_MESSAGES = {
    "FindingNotFound": "Finding Not Found",
    "DuplicatedFindingIdentifier": "Finding Identifier is duplicated",
    "ConcurrentUpdateError": "Concurrent finding updates detected",
    "InternalFailure": "Internal service failure",
}


def _unprocessed(identifier: dict, code: str) -> dict:
    return {"FindingIdentifier": identifier, "ErrorCode": code, "ErrorMessage": _MESSAGES.get(code, "Invalid Input")}


def _import_problem(finding: dict) -> str | None:
    if not finding.get("Resources"):
        return "Finding must contain at least one resource in the Resources array"
    if len(finding.get("Title", "")) > 256 or len(finding.get("Description", "")) > 1024:
        return "Title is at most 256 characters, Description at most 1024"
    return None

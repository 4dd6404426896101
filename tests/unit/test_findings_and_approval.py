"""Pure decisions of issue 14: which findings are ours and what the workflow writes on them, notebook-guard's own
ASFF finding (checked against botocore's model of BatchImportFindings), and the approval gate."""

from __future__ import annotations

import json

import botocore.session
import pytest
from botocore.validate import ParamValidator

from notebook_guard.domain import approval, findings
from notebook_guard.domain.models import Action, Trigger
from notebook_guard.settings import Settings, SettingsError

ARN = "arn:aws:sagemaker:us-east-1:123456789012:notebook-instance/analysis"
DOCUMENT = {
    "notebook_name": "analysis",
    "notebook_arn": ARN,
    "execution_id": "arn:aws:states:us-east-1:123456789012:execution:m:create-analysis-1",
    "action": "remediate",
    "trigger": "create",
    "started_at": "2026-01-01T00:00:00Z",
    "snapshot": {"uri": "s3://b/snapshots/analysis/x/1.json", "version_id": "v1"},
    "verified": {"after": {"subnet_id": "subnet-0123456789abcdef0"}},
}


def control(generator: str, security_control_id: str | None = None) -> dict:
    finding = {"GeneratorId": generator, "Resources": [{"Type": "AwsSageMakerNotebookInstance", "Id": ARN}]}
    if security_control_id:
        finding["Compliance"] = {"SecurityControlId": security_control_id}
    return finding


@pytest.mark.parametrize(
    ("finding", "expected"),
    [
        (control("security-control/SageMaker.2", "SageMaker.2"), "SageMaker.2"),  # consolidated
        (control("aws-foundational-security-best-practices/v/1.0.0/SageMaker.1", "SageMaker.1"), "SageMaker.1"),
        (control("aws-foundational-security-best-practices/v/1.0.0/SageMaker.3"), "SageMaker.3"),  # no control id
        (control("arn:aws:guardduty:us-east-1:123456789012:detector/x"), None),
    ],
)
def test_consolidated_and_per_standard_control_findings_name_their_control(finding, expected):
    assert findings.control_id_of(finding) == expected
    assert findings.is_notebook_control_finding(finding) is (expected is not None)


def test_the_workflow_writes_notified_then_resolved_and_notes_otherwise():
    started = findings.update_for(findings.STARTED, DOCUMENT)
    assert started.status is findings.WorkflowStatus.NOTIFIED
    assert "create-analysis-1" in started.note and "action remediate" in started.note
    resolved = findings.update_for("remediated", DOCUMENT, "Recreated.")
    assert resolved.status is findings.WorkflowStatus.RESOLVED
    assert "subnet-0123456789abcdef0" in resolved.note and "s3://b/snapshots/analysis/x/1.json" in resolved.note
    blocked = findings.update_for("blocked", DOCUMENT, "x" * 2000)
    assert blocked.status is findings.WorkflowStatus.NOTIFIED  # never a note alone on a NEW finding: no loop
    assert len(blocked.request([{"Id": "i", "ProductArn": "p"}])["Note"]["Text"]) == 512
    assert "Workflow" not in findings.update_for("gone", DOCUMENT, "g").request([])
    assert findings.update_for("exempt", DOCUMENT, "e").status is None
    assert (
        findings.update_for("exempt", DOCUMENT, "e", suppress_exempt=True).status is findings.WorkflowStatus.SUPPRESSED
    )
    for nothing in ("compliant", "duplicate", "blocked-again"):
        assert findings.update_for(nothing, DOCUMENT) is None


def test_only_findings_nobody_closed_are_touched_and_in_batches_of_100():
    statuses = ["NEW", "NOTIFIED", "RESOLVED", "SUPPRESSED"]
    open_ones = findings.open_findings([{"Workflow": {"Status": s}} for s in statuses])
    assert [f["Workflow"]["Status"] for f in open_ones] == ["NEW", "NOTIFIED"]
    assert [len(b) for b in findings.batches(list(range(250)))] == [100, 100, 50]


def test_our_own_finding_has_every_attribute_batch_import_findings_requires():
    context = findings.OwnFindingContext("123456789012", "us-east-1", "aws", "2026-01-01T00:15:00Z")
    own = findings.own_finding("remediated", DOCUMENT, "Recreated in the private subnet.", context)
    model = botocore.session.get_session().get_service_model("securityhub")
    shape = model.operation_model("BatchImportFindings").input_shape
    report = ParamValidator().validate({"Findings": [own]}, shape)
    assert not report.has_errors(), report.generate_report()
    assert own["ProductArn"] == "arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default"
    assert own["Id"] == "notebook-guard/create-analysis-1" and "Compliance" not in own
    assert findings.own_finding("compliant", DOCUMENT, "", context) is None


@pytest.mark.parametrize(
    ("setting", "trigger", "action", "required"),
    [
        ("never", "sweep", "remediate", False),
        ("always", "create", "remediate", True),
        ("always", "sweep", "quarantine", False),  # a stop only: no approval
        ("always", "restart", "notify", False),
        ("existing-notebooks", "create", "remediate", False),  # caught at its creation
        ("existing-notebooks", "restart", "remediate", True),
        ("existing-notebooks", "finding", "remediate", True),
        ("existing-notebooks", "manual", "remediate", True),
    ],
)
def test_who_must_approve(setting, trigger, action, required):
    assert approval.approval_required(setting, trigger, action) is required


def test_a_decision_reads_the_same_whether_approved_rejected_or_timed_out():
    approved = approval.decision(True, "arn:aws:iam::1:user/alice", "ok", approval.Via.CLI, "t")
    assert approval.decision_of(json.loads(approval.success_output(approved))) == approved
    rejected = approval.decision(False, "arn:aws:iam::1:user/bob", "not now", approval.Via.CLI, "t")
    caught = {"Error": "ApprovalRejected", "Cause": approval.failure_cause(rejected)}
    assert approval.decision_of(caught) == {**rejected, "approved": False}
    timed_out = approval.decision_of({"Error": "States.Timeout", "Cause": ""})
    assert timed_out["decision"] == "timed-out"
    assert (
        approval.describe(timed_out, 72 * 3600)
        == "Not approved: nobody decided within 72 h, so the approval timed out."
    )
    assert approval.describe(approval.decision_of(caught)).startswith(
        "Not approved: rejected by arn:aws:iam::1:user/bob"
    )
    assert approval.decision_of(None) is None


def test_the_runtime_settings_of_the_gate_and_the_finding_trigger():
    settings = Settings.from_environ({"NG_SWEEP_ACTION": "quarantine"})
    assert settings.action_for(Trigger.FINDING) is Action.QUARANTINE  # the sweep's by default
    assert Settings.from_environ({"NG_FINDING_ACTION": "remediate"}).action_for(Trigger.FINDING) is Action.REMEDIATE
    assert settings.approval_timeout_seconds == 259200 and settings.approval_fallback is Action.NOTIFY
    for variables in (
        {"NG_APPROVAL_FALLBACK": "remediate"},
        {"NG_APPROVAL": "sometimes"},
        {"NG_APPROVAL_TIMEOUT_SECONDS": str(8 * 86400)},
        {"NG_APPROVE_ACTION_ARN": "arn:aws:securityhub:us-east-1:123456789012:action/custom/too-long-and-dashed"},
    ):
        with pytest.raises(SettingsError):
            Settings.from_environ(variables)

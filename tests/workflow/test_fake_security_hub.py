"""The fake refuses what AWS refuses: Security Hub's limits and errors, and Step Functions' answers to task tokens
(the workflow tests rely on both; moto 5.2.5 has neither)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from notebook_guard.aws import clients
from notebook_guard_local.fake.callbacks import FaithfulCallbacks
from notebook_guard_local.fake.securityhub import FakeSecurityHub
from notebook_guard_local.workflow_runner import MOTO_CONFIG
from tests.conftest import ACCOUNT, REGION

NOTEBOOK = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:notebook-instance/analysis"
OWN_PRODUCT = f"arn:aws:securityhub:{REGION}:{ACCOUNT}:product/{ACCOUNT}/default"


@pytest.fixture
def hub():
    with mock_aws(config=MOTO_CONFIG), FakeSecurityHub() as fake, FaithfulCallbacks():
        clients.reset()
        yield fake
    clients.reset()


def client():
    return clients.client("securityhub", REGION)


def refused(call, **params) -> dict:
    with pytest.raises(ClientError) as caught:
        call(**params)
    return {**caught.value.response["Error"], "status": caught.value.response["ResponseMetadata"]["HTTPStatusCode"]}


def identifier(finding: dict) -> dict:
    return {"Id": finding["Id"], "ProductArn": finding["ProductArn"]}


def test_security_hub_not_enabled_answers_as_aws_does(hub):
    hub.disable(REGION)
    error = refused(client().get_findings)
    assert error == {
        "Code": "InvalidAccessException",
        "Message": f"Account {ACCOUNT} is not subscribed to AWS Security Hub",
        "status": 401,
    }
    client().enable_security_hub()
    assert client().get_findings()["Findings"] == []


def test_get_findings_filters_and_pages_as_documented(hub):
    wanted = [hub.add_control_finding(NOTEBOOK, control, emit=False) for control in ("SageMaker.1", "SageMaker.2")]
    hub.add_control_finding(NOTEBOOK, "SageMaker.3", workflow="RESOLVED", emit=False)
    hub.add_control_finding(NOTEBOOK.replace("analysis", "other"), emit=False)
    filters = {
        "ResourceId": [{"Value": NOTEBOOK, "Comparison": "EQUALS"}],
        "WorkflowStatus": [{"Value": "RESOLVED", "Comparison": "NOT_EQUALS"}],
        "GeneratorId": [{"Value": "security-control/", "Comparison": "PREFIX"}],
    }
    first = client().get_findings(Filters=filters, MaxResults=1)
    second = client().get_findings(Filters=filters, MaxResults=1, NextToken=first["NextToken"])
    assert [f["Id"] for f in first["Findings"] + second["Findings"]] == [f["Id"] for f in wanted]
    assert "NextToken" not in second
    assert refused(client().get_findings, NextToken="garbage")["Code"] == "InvalidInputException"


def test_batch_update_findings_refuses_over_100_and_reports_unknown_and_duplicated_findings(hub):
    finding = hub.add_control_finding(NOTEBOOK, emit=False)
    note = {"Text": "checked", "UpdatedBy": "notebook-guard"}
    too_many = [identifier(finding)] * 101
    assert refused(client().batch_update_findings, FindingIdentifiers=too_many, Note=note)["Code"] == (
        "InvalidInputException"
    )
    unknown = {"Id": "arn:aws:securityhub:us-east-1:123456789012:nothing", "ProductArn": finding["ProductArn"]}
    response = client().batch_update_findings(
        FindingIdentifiers=[identifier(finding), identifier(finding), unknown],
        Note=note,
        Workflow={"Status": "NOTIFIED"},
    )
    assert response["ProcessedFindings"] == [identifier(finding)]
    assert [(u["ErrorCode"], u["ErrorMessage"]) for u in response["UnprocessedFindings"]] == [
        ("DuplicatedFindingIdentifier", "Finding Identifier is duplicated"),
        ("FindingNotFound", "Finding Not Found"),
    ]
    assert hub.finding(finding["Id"])["Workflow"] == {"Status": "NOTIFIED"}
    assert (
        refused(
            client().batch_update_findings,
            FindingIdentifiers=[identifier(finding)],
            Note={"Text": "x" * 513, "UpdatedBy": "me"},
        )["Code"]
        == "InvalidInputException"
    )


def test_batch_import_findings_only_for_the_own_account_and_product_and_keeps_a_persons_workflow(hub):
    finding = {
        "SchemaVersion": "2018-10-08",
        "Id": "notebook-guard/run-1",
        "ProductArn": OWN_PRODUCT,
        "GeneratorId": "notebook-guard/remediation",
        "AwsAccountId": ACCOUNT,
        "Types": ["Software and Configuration Checks/AWS Security Best Practices/Network Reachability"],
        "CreatedAt": "2026-01-01T00:00:00Z",
        "UpdatedAt": "2026-01-01T00:00:00Z",
        "Severity": {"Label": "INFORMATIONAL"},
        "Title": "t",
        "Description": "d",
        "Resources": [{"Type": "AwsSageMakerNotebookInstance", "Id": NOTEBOOK}],
    }
    assert client().batch_import_findings(Findings=[finding])["SuccessCount"] == 1
    other_account = {**finding, "AwsAccountId": "210987654321"}
    assert refused(client().batch_import_findings, Findings=[other_account])["Code"] == "AccessDeniedException"
    other_product = {**finding, "ProductArn": f"arn:aws:securityhub:{REGION}::product/aws/securityhub"}
    assert refused(client().batch_import_findings, Findings=[other_product])["Code"] == "AccessDeniedException"
    assert refused(client().batch_import_findings, Findings=[finding] * 101)["Code"] == "InvalidInputException"
    client().batch_update_findings(
        FindingIdentifiers=[identifier(finding)],
        Note={"Text": "mine", "UpdatedBy": "alice"},
        Workflow={"Status": "SUPPRESSED"},
    )
    client().batch_import_findings(Findings=[{**finding, "Title": "again"}])
    stored = hub.finding(finding["Id"])
    assert stored["Title"] == "again" and stored["Workflow"] == {"Status": "SUPPRESSED"}
    assert stored["Note"]["Text"] == "mine"


def test_custom_actions_are_unique_per_id_with_aws_limits(hub):
    arn = client().create_action_target(Id="NotebookGuardApprove", Name="Approve remediation", Description="d")[
        "ActionTargetArn"
    ]
    assert arn == f"arn:aws:securityhub:{REGION}:{ACCOUNT}:action/custom/NotebookGuardApprove"
    again = refused(client().create_action_target, Id="NotebookGuardApprove", Name="Approve", Description="d")
    assert again["Code"] == "ResourceConflictException"
    too_long = refused(client().create_action_target, Id="NotebookGuardApproveIt", Name="x", Description="d")
    assert too_long["Code"] == "InvalidInputException"
    client().delete_action_target(ActionTargetArn=arn)
    assert refused(client().delete_action_target, ActionTargetArn=arn)["Code"] == "ResourceNotFoundException"


def test_a_task_token_step_functions_never_issued_is_refused_as_invalid(hub):
    sfn = clients.client("stepfunctions", REGION)
    for send in (
        lambda: sfn.send_task_success(taskToken="never-issued", output="{}"),
        lambda: sfn.send_task_failure(taskToken="never-issued", error="ApprovalRejected", cause="{}"),
    ):
        with pytest.raises(ClientError) as caught:
            send()
        assert caught.value.response["Error"]["Code"] == "InvalidToken"


def test_finding_updates_stop_at_their_time_budget_and_say_what_is_left(hub, monkeypatch):
    """A step's Security Hub work is bounded (its client's 3 attempts, and this budget): never a step timeout."""
    from notebook_guard.services import findings
    from notebook_guard.settings import Settings

    for _ in range(150):
        hub.add_control_finding(NOTEBOOK, emit=False)
    monkeypatch.setattr(findings, "BUDGET_SECONDS", 0.0)
    document = {"notebook_arn": NOTEBOOK, "execution_id": "arn:aws:states:us-east-1:1:execution:m:e", "action": "x"}
    report = findings.follow(findings.findings.STARTED, document, Settings(region=REGION))
    assert report.findings == 150 and report.updated == 0
    assert report.error == "time budget of 0 s spent: 150 left"

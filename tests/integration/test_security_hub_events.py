"""Security Hub's events, with enforcement on: a control finding starts a workflow through the intake (the finding
is a pointer, Describe is the truth), a custom action answers a pending approval, and everything else is ignored
with its reason. Security Hub's own shapes come from ``fake.securityhub``."""

from __future__ import annotations

import copy

import pytest

from notebook_guard.handlers import approval_action, intake
from notebook_guard_local.cli import main
from notebook_guard_local.fake.securityhub import FakeSecurityHub
from notebook_guard_local.roles import as_approval_action
from tests.conftest import ACCOUNT, REGION
from tests.integration.test_intake import Context

APPROVE = f"arn:aws:securityhub:{REGION}:{ACCOUNT}:action/custom/NotebookGuardApprove"
REJECT = f"arn:aws:securityhub:{REGION}:{ACCOUNT}:action/custom/NotebookGuardReject"


@pytest.fixture
def hub(account):
    with FakeSecurityHub() as fake:
        yield fake


def finding_event(hub, arn, **changes) -> dict:
    finding = hub.add_control_finding(arn, changes.pop("control_id", "SageMaker.2"), **changes)
    return hub.imported_event(finding)


def test_a_new_failed_control_finding_starts_the_workflow_with_the_finding_action(account, configure, hub):
    arn = account.create_notebook("Churn-Model")  # the ARN lower-cases the name: resolved through the API
    state_machine = account.create_state_machine()
    configure(NG_STATE_MACHINE_ARN=state_machine, NG_SWEEP_ACTION="quarantine")

    result = intake.handler(finding_event(hub, arn, consolidated=False), Context())

    assert result["outcome"] == "workflow-started" and result["notebook_name"] == "Churn-Model"
    assert result["trigger"] == "finding" and result["action"] == "quarantine"  # the sweep's, by default
    (execution,) = account.sfn.list_executions(stateMachineArn=state_machine)["executions"]
    assert execution["name"].startswith("finding-Churn-Model-")


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"workflow": "NOTIFIED"}, "compliance/record/workflow state is FAILED/ACTIVE/NOTIFIED"),
        ({"workflow": "SUPPRESSED"}, "FAILED/ACTIVE/SUPPRESSED"),
        ({"record_state": "ARCHIVED"}, "FAILED/ARCHIVED/NEW"),
        ({"compliance": "PASSED"}, "PASSED/ACTIVE/NEW"),
        ({"control_id": "S3.1"}, "not a SageMaker.1/.2/.3 finding about a notebook instance"),
    ],
)
def test_other_findings_are_ignored_with_their_reason(account, configure, hub, changes, reason):
    arn = account.create_notebook("analysis")
    configure(NG_STATE_MACHINE_ARN=account.create_state_machine())
    result = intake.handler(finding_event(hub, arn, **changes), Context())
    assert result["outcome"] == "ignored" and reason in result["reason"]


def test_a_finding_about_another_region_or_account_or_a_malformed_one_is_ignored(account, configure, hub):
    configure(NG_STATE_MACHINE_ARN=account.create_state_machine())
    elsewhere = finding_event(hub, "arn:aws:sagemaker:eu-west-1:123456789012:notebook-instance/x")
    assert "region eu-west-1" in intake.handler(elsewhere, Context())["reason"]
    foreign = finding_event(hub, "arn:aws:sagemaker:us-east-1:210987654321:notebook-instance/x")
    assert "account 210987654321" in intake.handler(foreign, Context())["reason"]
    malformed = copy.deepcopy(elsewhere)
    malformed["detail"]["findings"][0].pop("Resources")
    assert intake.handler(malformed, Context())["reason"].startswith("malformed 'Security Hub Findings - Imported'")


def test_a_finding_about_a_notebook_that_no_longer_exists_is_gone(account, configure, hub):
    configure(NG_STATE_MACHINE_ARN=account.create_state_machine())
    event = finding_event(hub, f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:notebook-instance/deleted-since")
    assert intake.handler(event, Context())["outcome"] == "gone"


def test_findings_about_two_notebooks_are_handled_one_by_one(account, configure, hub):
    first, second = account.create_notebook("first"), account.create_notebook("second")
    configure(NG_STATE_MACHINE_ARN=account.create_state_machine())
    event = finding_event(hub, first)
    event["detail"]["findings"].append(finding_event(hub, second)["detail"]["findings"][0])
    result = intake.handler(event, Context())
    assert result["outcome"] == "several"
    assert [r["notebook_name"] for r in result["results"]] == ["first", "second"]
    assert {r["outcome"] for r in result["results"]} == {"workflow-started"}


def test_a_custom_action_without_a_pending_approval_or_not_ours_is_reported(account, configure, hub):
    arn = account.create_notebook("analysis")
    configure(NG_APPROVE_ACTION_ARN=APPROVE, NG_REJECT_ACTION_ARN=REJECT)
    handle = as_approval_action(approval_action.process)
    finding = hub.add_control_finding(arn)
    nothing = handle(hub.custom_action_event(APPROVE, [finding], "Approve remediation"), ACCOUNT)
    assert nothing["outcome"] == "approved"
    assert nothing["results"][arn]["result"] == "nothing-waiting"
    member = hub.add_control_finding(arn.replace(ACCOUNT, "210987654321"))  # a member account's, seen by its admin
    mixed = handle(hub.custom_action_event(APPROVE, [member]), ACCOUNT)
    assert [r["result"] for r in mixed["results"].values()] == ["ignored"]
    other = f"arn:aws:securityhub:{REGION}:{ACCOUNT}:action/custom/SendToJira"
    assert (
        "not one of notebook-guard's custom actions"
        in handle(hub.custom_action_event(other, [finding]), ACCOUNT)["reason"]
    )
    broken = hub.custom_action_event(APPROVE, [finding])
    broken["detail"].pop("actionName")
    assert handle(broken, ACCOUNT)["reason"].startswith("malformed custom action event")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["approve", "not-an-arn", "--reason", "x"], "EXECUTION must be an execution ARN"),
        (["reject", f"arn:aws:states:{REGION}:{ACCOUNT}:execution:m:e", "--reason", " "], "--reason must say why"),
        (["approve", f"arn:aws:states:{REGION}:{ACCOUNT}:execution:m:e", "--reason", "x"], "no approval is waiting"),
    ],
)
def test_the_cli_refuses_what_it_cannot_do_with_a_clear_message(account, configure, capsys, argv, message):
    configure()
    code = main([*argv, "--coordination-table", account.coordination_table, "--region", REGION])
    assert code == 2 and message in capsys.readouterr().err


def test_the_cli_needs_the_coordination_table(account, monkeypatch, capsys):
    monkeypatch.delenv("NG_COORDINATION_TABLE", raising=False)
    execution = f"arn:aws:states:{REGION}:{ACCOUNT}:execution:m:e"
    assert main(["approve", execution, "--reason", "x", "--region", REGION]) == 2
    assert "no coordination table" in capsys.readouterr().err


def test_a_notebook_named_in_capitals_is_found_by_its_arn_through_the_listing(account, monkeypatch):
    """AWS lower-cases the name in the ARN (aws-facts): Describe of the ARN's name part then finds nothing (moto
    keeps the case, so that answer is simulated here) and the listing, filtered on the name, gives the notebook."""
    from notebook_guard.aws import sagemaker

    arn = account.create_notebook("Churn-Model")
    describe = sagemaker.describe_notebook
    monkeypatch.setattr(
        sagemaker,
        "describe_notebook",
        lambda name, region=None: None if name == "churn-model" else (describe(name, region)),
    )
    lowered = arn.rsplit("/", 1)[0] + "/churn-model"
    assert sagemaker.name_for_arn(arn, hint=None, region=REGION) == "Churn-Model"  # by Describe of its own name
    assert sagemaker.name_for_arn(lowered, hint=None, region=REGION) is None  # no notebook has that exact ARN
    monkeypatch.setattr(sagemaker, "describe_notebook", lambda name, region=None: None)
    assert sagemaker.name_for_arn(arn, hint="churn-model", region=REGION) == "Churn-Model"  # through the listing

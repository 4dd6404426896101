"""Destruction can wait for a person (issue 14): the approval gate on the real ASL file.

The execution waits on a ``.waitForTaskToken`` task after the snapshot and the preflight; a person approves or
rejects with ``notebook-guard approve|reject`` (their IAM identity) or a Security Hub custom action; without a
decision the approval times out on the virtual clock. Rejected or timed out: the fallback (notify or quarantine),
never the delete. Decisions after the task closed are refused as AWS refuses them (TaskTimedOut).
"""

from __future__ import annotations

import time

import pytest

from notebook_guard.domain.errors import ApprovalClosed
from notebook_guard.handlers import approval_action
from notebook_guard.services import approvals
from notebook_guard.settings import get_settings
from notebook_guard_local.cli import main
from notebook_guard_local.commands import common
from notebook_guard_local.roles import as_approval_action, as_cli_command
from notebook_guard_local.workflow_harness import ACCOUNT, REGION
from tests.workflow.test_scenarios import assert_remediated, kinds

APPROVE_ARN = f"arn:aws:securityhub:{REGION}:{ACCOUNT}:action/custom/NotebookGuardApprove"
REJECT_ARN = f"arn:aws:securityhub:{REGION}:{ACCOUNT}:action/custom/NotebookGuardReject"
TIMEOUT = 72 * 3600
# moto's STS answers GetCallerIdentity with this identity for the suite's fake credentials.
CALLER = f"arn:aws:sts::{ACCOUNT}:user/moto"


@pytest.fixture
def gated(harness, monkeypatch):
    """A deployment where every remediation needs a person (approval=always), with the custom actions; the CLI and
    the custom action's function run as their roles."""
    monkeypatch.setenv("NG_APPROVAL", "always")
    monkeypatch.setenv("NG_APPROVE_ACTION_ARN", APPROVE_ARN)
    monkeypatch.setenv("NG_REJECT_ACTION_ARN", REJECT_ARN)
    monkeypatch.setattr(common, "run_guarded", as_cli_command(common.run_guarded))
    get_settings.cache_clear()
    harness.create_notebook("analysis")
    return harness


def cli(*argv: str) -> int:
    return main([*argv, "--coordination-table", "notebook-guard-coordination", "--region", REGION])


def custom_action(harness, action_arn: str, note: str | None = None) -> dict:
    arn = harness.backend.notebook_instances["analysis"].arn
    finding = harness.hub.add_control_finding(arn, "SageMaker.2", emit=False)
    if note:
        harness.hub._batch_update_findings(
            {
                "FindingIdentifiers": [{"Id": finding["Id"], "ProductArn": finding["ProductArn"]}],
                "Note": {"Text": note, "UpdatedBy": f"arn:aws:iam::{ACCOUNT}:user/alice"},
            },
            REGION,
        )
        finding = harness.hub.finding(finding["Id"])
    event = harness.hub.custom_action_event(action_arn, [finding], "Approve remediation")
    return as_approval_action(approval_action.process)(event, ACCOUNT)


def wait_for(condition, timeout: float = 20.0):
    """``condition()`` once it is true (the Approval step alerts just after it stored the token)."""
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)
    return value


def asked(harness, execution_arn: str) -> None:
    """The execution waits for a person, having changed nothing, and told the team how to decide."""
    waiting = harness.pending_approval(execution_arn)
    assert waiting.notebook_name == "analysis" and waiting.action == "remediate"
    assert harness.describe("analysis", advance=False)["NotebookInstanceStatus"] == "InService"
    assert harness.faults.calls.count("sagemaker:StopNotebookInstance") == 0
    (request,) = wait_for(lambda: [a for a in harness.alerts() if a["kind"] == "approval-requested"])
    lines = request["details"]["how_to_decide"]
    assert f"notebook-guard approve {execution_arn}" in lines[0] and "Approve remediation" in lines[2]
    assert waiting.token not in str(request)  # the token is never in an alert


def test_approved_then_remediated(gated):
    harness = gated
    execution_arn = harness.start()
    asked(harness, execution_arn)

    assert cli("approve", execution_arn, "--reason", "Change CHG-42 agreed with the owner") == 0

    execution = harness.runner.wait(execution_arn)
    assert_remediated(harness, execution, expected_kinds=["approval-requested", "remediated"])
    entered = execution.states_entered
    assert entered.count("Check the target network, role and key") == 2  # the preflight runs again after the wait
    alert = harness.alerts()[-1]
    assert alert["details"]["approval"]["by"] == CALLER and alert["details"]["approval"]["via"] == "cli"
    assert alert["details"]["approval"]["reason"] == "Change CHG-42 agreed with the owner"
    (record,) = [r for r in harness.audit() if r["outcome"] == "remediated"]
    assert record["approval"]["decision"] == "approved" and record["approval"]["by"] == CALLER
    # A second decision reaches a closed task: refused as AWS refuses it.
    assert cli("reject", execution_arn, "--reason", "too late") == 2


def test_rejected_in_security_hub_then_quarantined(gated, monkeypatch):
    harness = gated
    monkeypatch.setenv("NG_APPROVAL_FALLBACK", "quarantine")
    get_settings.cache_clear()
    execution_arn = harness.start()
    asked(harness, execution_arn)

    result = custom_action(harness, REJECT_ARN, note="Owner is presenting tomorrow, not now")

    assert result["outcome"] == "rejected"
    execution = harness.runner.wait(execution_arn)
    assert execution.status == "SUCCEEDED"
    assert kinds(harness) == ["approval-requested", "quarantined"]
    assert harness.describe("analysis", advance=False)["NotebookInstanceStatus"] == "Stopped"
    assert "sagemaker:DeleteNotebookInstance" not in harness.faults.calls
    decision = harness.alerts()[-1]["details"]["approval"]
    assert decision["decision"] == "rejected" and decision["via"] == "security-hub"
    assert REJECT_ARN in decision["by"] and "names no person" in decision["by"]
    assert decision["reason"].startswith("Owner is presenting tomorrow, not now (the finding's note, by arn:aws:iam::")


def test_rejected_then_notified(gated):
    harness = gated
    execution_arn = harness.start()
    asked(harness, execution_arn)

    assert cli("reject", execution_arn, "--reason", "Not during quarter close") == 0

    execution = harness.runner.wait(execution_arn)
    assert execution.status == "SUCCEEDED"
    assert kinds(harness) == ["approval-requested", "violation"]
    alert = harness.alerts()[-1]
    assert alert["details"]["approval"] == {**alert["details"]["approval"], "decision": "rejected", "by": CALLER}
    assert harness.describe("analysis", advance=False)["NotebookInstanceStatus"] == "InService"  # untouched
    for call in ("StopNotebookInstance", "DeleteNotebookInstance"):
        assert f"sagemaker:{call}" not in harness.faults.calls


def test_approved_in_security_hub_then_remediated(gated):
    harness = gated
    execution_arn = harness.start()
    asked(harness, execution_arn)

    result = custom_action(harness, APPROVE_ARN)

    assert result["outcome"] == "approved"
    (outcome,) = result["results"].values()
    assert outcome == {"result": "approved", "execution": execution_arn}
    assert_remediated(harness, harness.runner.wait(execution_arn), expected_kinds=["approval-requested", "remediated"])
    # The same action again: nothing is waiting any more.
    again = custom_action(harness, APPROVE_ARN)
    assert [r["result"] for r in again["results"].values()] == ["nothing-waiting"]


def test_timeout_never_deletes(gated):
    harness = gated
    execution_arn = harness.start()
    waiting = harness.pending_approval(execution_arn)
    assert waiting.timeout_at - waiting.requested_at == TIMEOUT  # the default: 72 hours

    harness.clock.advance(TIMEOUT)  # three days pass on the virtual clock, and nobody decides

    execution = harness.runner.wait(execution_arn)
    assert execution.status == "SUCCEEDED"
    assert kinds(harness) == ["approval-requested", "violation"]  # the default fallback: notify
    assert harness.alerts()[-1]["details"]["approval"]["decision"] == "timed-out"
    assert harness.describe("analysis", advance=False)["NotebookInstanceStatus"] == "InService"
    for call in ("StopNotebookInstance", "DeleteNotebookInstance"):
        assert f"sagemaker:{call}" not in harness.faults.calls
    # A late approval is refused, as AWS refuses a closed task's token (TaskTimedOut).
    with pytest.raises(ApprovalClosed, match="TaskTimedOut"):
        approvals.send(waiting, {"approved": True, "by": CALLER, "reason": "late"}, REGION)
    assert cli("approve", execution_arn, "--reason", "sorry, I was away") == 2


def test_the_execution_input_cannot_skip_the_approval(gated):
    harness = gated
    execution_arn = harness.start(approval={"required": False, "timeout_seconds": 1})
    waiting = harness.pending_approval(execution_arn)
    assert waiting.timeout_at - waiting.requested_at == TIMEOUT  # the deployment's, not the input's
    assert cli("reject", execution_arn, "--reason", "checking the gate") == 0
    assert harness.runner.wait(execution_arn).status == "SUCCEEDED"
    assert "sagemaker:DeleteNotebookInstance" not in harness.faults.calls


def test_existing_notebooks_need_an_approval_and_new_ones_do_not(harness, monkeypatch):
    monkeypatch.setenv("NG_APPROVAL", "existing-notebooks")
    get_settings.cache_clear()
    harness.create_notebook("analysis")
    assert_remediated(harness, harness.run(trigger="create"))  # caught at its creation: no approval
    harness.create_notebook("older")
    execution_arn = harness.start("older", trigger="sweep")
    assert harness.pending_approval(execution_arn).notebook_name == "older"
    harness.clock.advance(TIMEOUT)
    assert harness.runner.wait(execution_arn).status == "SUCCEEDED"
    assert harness.exists("older")


def test_an_answer_that_is_not_an_approval_counts_as_none(gated):
    """SendTaskSuccess without approved=true (someone calling the API by hand) is no approval: the fallback runs."""
    from notebook_guard.aws import stepfunctions

    harness = gated
    execution_arn = harness.start()
    waiting = harness.pending_approval(execution_arn)
    stepfunctions.send_task_success(waiting.token, '{"looks": "fine to me"}', REGION)
    execution = harness.runner.wait(execution_arn)
    assert execution.status == "SUCCEEDED" and kinds(harness)[-1] == "violation"
    assert "sagemaker:DeleteNotebookInstance" not in harness.faults.calls

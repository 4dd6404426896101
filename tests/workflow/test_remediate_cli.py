"""``notebook-guard remediate NAME`` (issue 15, item 4): a person starts the deployed workflow, under the lease.

The stack is found by its outputs (a CloudFormation stack in moto carrying the outputs the real stack has); the
command runs as its operator role, whose policy comes from the permission table; the execution is the real ASL.
"""

from __future__ import annotations

import json

import boto3
import pytest

from notebook_guard.settings import get_settings
from notebook_guard_local import remediating
from notebook_guard_local.cli import main
from notebook_guard_local.commands import common
from notebook_guard_local.roles import as_cli_command
from notebook_guard_local.workflow_harness import REGION
from tests.workflow.test_scenarios import assert_remediated, kinds

DAY = 86400
CALLER_SUFFIX = ":user/moto"  # moto's STS identity for the suite's fake credentials


@pytest.fixture
def deployed(harness, monkeypatch):
    """The stack deployed in the region (its outputs), the CLI running as its operator role."""
    cloudformation = boto3.client("cloudformation", region_name=REGION)
    summaries = cloudformation.list_stacks()["StackSummaries"]
    if "NotebookGuard" not in [s["StackName"] for s in summaries if s["StackStatus"] != "DELETE_COMPLETE"]:
        template = {
            "Resources": {"Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"}},
            "Outputs": {
                "StateMachineArn": {"Value": harness.runner.state_machine_arn},
                "CoordinationTableName": {"Value": harness.world.coordination_table},
            },
        }
        cloudformation.create_stack(StackName="NotebookGuard", TemplateBody=json.dumps(template))
    monkeypatch.setattr(common, "run_guarded", as_cli_command(common.run_guarded))
    monkeypatch.setattr(remediating, "WAIT_DELAY", 0.05)
    harness.faults.calls.clear()
    return harness


def old_notebook(harness, name: str = "analysis") -> None:
    """A notebook that predates the stack: the sweep only flags it; a person decides to remediate it."""
    harness.create_notebook(name, "InService")
    harness.fake.backdate(harness.backend, name, 90 * DAY)


def remediate(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["remediate", *argv, "--region", REGION])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def started_arn(out: str) -> str:
    (line,) = [line for line in out.splitlines() if line.strip().startswith("execution:")]
    return line.split("execution:", 1)[1].strip()


def test_a_person_remediates_a_notebook_the_sweep_only_flagged(deployed, capsys):
    harness = deployed
    old_notebook(harness)
    code, out, err = remediate(capsys, "analysis")
    assert code == 0, err
    assert out.startswith("Started the remediate workflow for notebook analysis")
    arn = started_arn(out)
    assert ":execution:" in arn and ":manual-analysis-" in arn

    execution = harness.runner.wait(arn)
    # The person knows it started: no remediation-started alert, but the closing alert goes to the team.
    assert_remediated(harness, execution, expected_kinds=["remediated"])
    alert = harness.alerts()[-1]
    assert alert["trigger"] == "manual" and alert["action"] == "remediate"
    lease = harness.lease()
    assert lease["held"] is False and lease["trigger"] == "manual"


def test_wait_reports_the_outcome_in_json(deployed, capsys):
    harness = deployed
    old_notebook(harness)
    code, out, err = remediate(capsys, "analysis", "--action", "quarantine", "--wait", "--output", "json")
    assert code == 0, err
    document = json.loads(out)
    assert document["schema"] == "notebook-guard/remediate" and document["regions"] == [REGION]
    assert document["status"] == "SUCCEEDED" and document["outcome"] == "quarantined"
    assert document["requested_by"].endswith(CALLER_SUFFIX)
    assert document["snapshot_uri"].startswith(f"s3://{harness.world.bucket}/snapshots/analysis/")
    assert harness.describe("analysis", advance=False)["NotebookInstanceStatus"] == "Stopped"
    assert kinds(harness) == ["quarantined"]
    assert "sagemaker:DeleteNotebookInstance" not in harness.faults.calls
    assert "waiting for it to end" in err


def test_a_notebook_another_workflow_holds_is_refused_and_nothing_starts(deployed, capsys, monkeypatch):
    harness = deployed
    monkeypatch.setenv("NG_APPROVAL", "always")
    get_settings.cache_clear()
    harness.create_notebook("analysis")
    waiting = harness.start()  # holds the lease while it waits for a person's approval
    harness.pending_approval(waiting)
    before = len(harness.runner_executions())

    code, out, err = remediate(capsys, "analysis")
    assert code == 2 and out == ""
    assert err.startswith("notebook-guard: error: notebook analysis is in another workflow's hands")
    assert waiting in err and err.count("\n") == 1
    assert len(harness.runner_executions()) == before  # nothing started

    # The waiting execution ends (rejected); the notebook is free again for a person's start.
    assert main(["reject", waiting, "--reason", "remediate it by hand", "--region", REGION]) == 0
    assert harness.runner.wait(waiting).status == "SUCCEEDED"
    monkeypatch.setenv("NG_APPROVAL", "never")
    get_settings.cache_clear()
    capsys.readouterr()
    code, out, err = remediate(capsys, "analysis")
    assert code == 0, err
    assert harness.runner.wait(started_arn(out)).status == "SUCCEEDED"


def test_no_notebook_or_no_stack_is_a_one_line_error_and_nothing_starts(deployed, capsys):
    harness = deployed
    before = len(harness.runner_executions())
    code, out, err = remediate(capsys, "no-such-notebook")
    assert (code, out) == (2, "")
    assert err == f"notebook-guard: error: no notebook instance no-such-notebook in {REGION}: nothing started\n"

    old_notebook(harness)
    code, out, err = remediate(capsys, "analysis", "--stack-name", "SomeoneElsesStack")
    assert (code, out) == (2, "")
    assert err.startswith(f"notebook-guard: error: no stack SomeoneElsesStack in {REGION}: deploy notebook-guard")

    code, _, err = remediate(capsys, "not_a_valid_name!")
    assert code == 2 and "is not a valid notebook instance name" in err
    assert len(harness.runner_executions()) == before
    assert "sfn:StartExecution" not in harness.faults.calls

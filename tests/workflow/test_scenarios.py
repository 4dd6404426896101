"""The real ASL file, end to end, for each situation a notebook can be in when the workflow reaches it."""

from __future__ import annotations

import pytest

from notebook_guard.domain.recreate import REMEDIATED_AT_TAG, SNAPSHOT_TAG

PATH_TO_RECREATE = [
    "Evaluate the notebook",
    "Snapshot the notebook",
    "Check the target network, role and key",
    "Delete the notebook",
    "Recreate the notebook in the private subnet",
    "Verify the notebook",
    "Alert that the notebook is remediated",
]


def kinds(harness) -> list[str]:
    return [a["kind"] for a in harness.alerts()]


def assert_remediated(harness, execution, name="analysis", expected_kinds=("remediated",)):
    assert execution.status == "SUCCEEDED", (execution.error, execution.cause)
    entered = execution.states_entered
    # In order (the preflight runs a second time after an approval).
    assert list(dict.fromkeys(s for s in entered if s in PATH_TO_RECREATE)) == PATH_TO_RECREATE
    after = harness.sagemaker.describe_notebook_instance(NotebookInstanceName=name)
    assert after["NotebookInstanceStatus"] == "InService"
    assert after["SubnetId"] == harness.world.private_subnet_id
    assert after["SecurityGroups"] == [harness.world.security_group_id]
    assert after["DirectInternetAccess"] == "Disabled"
    assert after["RootAccess"] == "Disabled"
    tags = {t["Key"]: t["Value"] for t in harness.sagemaker.list_tags(ResourceArn=after["NotebookInstanceArn"])["Tags"]}
    snapshot_uri = tags[SNAPSHOT_TAG]
    assert REMEDIATED_AT_TAG in tags
    assert kinds(harness) == list(expected_kinds)
    assert harness.alerts()[-1]["snapshot_uri"] == snapshot_uri
    outcomes = [r["outcome"] for r in harness.audit(name)]
    assert {"snapshot", "deleting", "verified", "remediated"} <= set(outcomes)
    return after


def test_a_new_notebook_still_pending_is_remediated_once_in_service(harness):
    harness.fake.timeline.polls["Pending"] = 6  # outlasts the Describe calls of Evaluate and Snapshot
    harness.create_notebook("analysis", "Pending")
    execution = harness.run()
    assert_remediated(harness, execution)
    # Its wait for a stable state was answered by SageMaker's event, not by polling.
    assert "Await a stable state (event)" in execution.states_entered
    assert "Check whether the notebook is stable" not in execution.states_entered
    assert execution.answers[0]["resumed_by"] == "event"
    # It was stopped once InService, never while Pending.
    assert harness.faults.calls.count("sagemaker:StopNotebookInstance") == 1


def test_an_inservice_notebook_is_stopped_deleted_and_recreated(harness):
    harness.create_notebook("analysis", "InService")
    execution = harness.run()
    assert_remediated(harness, execution)
    statuses = [s for n, s in harness.fake.history if n == "analysis"]
    assert statuses[-6:] == ["Stopping", "Stopped", "Deleting", "Gone", "Pending", "InService"]


def test_an_already_stopped_notebook_is_not_stopped_again(harness):
    harness.create_notebook("analysis", "Stopped")
    execution = harness.run()
    assert_remediated(harness, execution)
    assert "sagemaker:StopNotebookInstance" not in harness.faults.calls


def test_a_failed_notebook_is_deleted_directly(harness):
    harness.create_notebook("analysis", "Failed")
    execution = harness.run()
    assert_remediated(harness, execution)
    assert "sagemaker:StopNotebookInstance" not in harness.faults.calls


def test_an_exempt_notebook_is_left_alone(harness):
    harness.create_notebook("analysis", Tags=[{"Key": "notebook-guard:exempt", "Value": "vendor appliance"}])
    execution = harness.run()
    assert execution.status == "SUCCEEDED"
    assert execution.states_entered[-5:] == [
        "Record that the notebook is exempt",
        "Was the backup access granted?",  # no backup was prepared: straight on
        "Release the lease",
        "How did it end?",
        "Done",
    ]
    assert harness.snapshots() == [] and kinds(harness) == []
    assert [r["outcome"] for r in harness.audit()] == ["exempt"]
    assert harness.backend.notebook_instances["analysis"].status == "InService"


def test_a_notebook_that_became_compliant_meanwhile_ends_the_execution(harness):
    harness.create_notebook(
        "analysis",
        SubnetId=harness.world.private_subnet_id,
        SecurityGroupIds=[harness.world.security_group_id],
        DirectInternetAccess="Disabled",
        RootAccess="Disabled",
    )
    execution = harness.run()
    assert execution.status == "SUCCEEDED"
    assert "Record that the notebook is compliant" in execution.states_entered
    assert "sagemaker:StopNotebookInstance" not in harness.faults.calls
    assert [r["outcome"] for r in harness.audit()] == ["compliant"]


def test_a_notebook_deleted_meanwhile_ends_the_execution(harness):
    execution = harness.run("vanished")
    assert execution.status == "SUCCEEDED"
    assert "Record that the notebook is gone" in execution.states_entered
    assert [r["outcome"] for r in harness.audit("vanished")] == ["gone"]


@pytest.mark.parametrize("problem", ["public-subnet", "foreign-security-group", "missing-endpoint"])
def test_a_preflight_failure_blocks_without_touching_the_notebook(harness, monkeypatch, problem):
    world = harness.world
    if problem == "public-subnet":
        monkeypatch.setenv("NG_TARGET_SUBNET_IDS", world.public_subnet_id)
        expected = "is public"
    elif problem == "foreign-security-group":
        monkeypatch.setenv("NG_TARGET_SECURITY_GROUP_IDS", world.other_vpc_security_group_id)
        expected = "not in the subnet's VPC"
    else:  # the configured list asks for an endpoint the VPC does not have
        monkeypatch.setenv("NG_REQUIRED_ENDPOINTS", "sagemaker.api,sagemaker.runtime,sts,logs,s3,ecr.api")
        expected = "no interface endpoint for com.amazonaws.us-east-1.ecr.api"
    harness.create_notebook("analysis", "InService")
    before = harness.describe("analysis", advance=False)
    execution = harness.run()
    assert execution.status == "FAILED" and execution.error == "PreflightFailed"
    assert kinds(harness) == ["blocked"]
    alert = harness.alerts()[0]
    assert any(expected in p for p in alert["details"]["preflight_problems"]), alert["details"]
    for call in ("StopNotebookInstance", "DeleteNotebookInstance", "CreateNotebookInstance"):
        assert f"sagemaker:{call}" not in harness.faults.calls
    assert harness.describe("analysis", advance=False) == before


def test_a_recreate_that_fails_alerts_with_the_reason_and_the_snapshot(harness):
    harness.create_notebook("analysis", "InService")
    harness.fake.fail_next_create("analysis", "ResourceLimitExceeded: no ml.t3.medium capacity")
    execution = harness.run()
    assert execution.status == "FAILED"
    assert kinds(harness) == ["failed"]
    alert = harness.alerts()[0]
    assert alert["details"]["error"] == "NotebookFailed"
    assert alert["details"]["cause"] == "ResourceLimitExceeded: no ml.t3.medium capacity"
    assert alert["details"]["failed_step"] == "Wait until in-service" and alert["details"]["state"] == "Failed"
    assert alert["snapshot_uri"].startswith("s3://")
    assert f"notebook-guard restore {alert['snapshot_uri']}" in alert["restore"]
    assert "aws sagemaker create-notebook-instance" in alert["restore"]
    assert harness.snapshots() and "failed" in [r["outcome"] for r in harness.audit()]
    # No retry loop: a single CreateNotebookInstance.
    assert harness.faults.calls.count("sagemaker:CreateNotebookInstance") == 1


def test_a_notebook_stuck_in_stopping_raises_a_stuck_alert_naming_its_state(harness):
    harness.create_notebook("analysis", "InService")
    harness.fake.stick("analysis", "Stopping")
    execution = harness.run()
    assert execution.status == "FAILED" and execution.error == "NotebookStuck"
    assert kinds(harness) == ["stuck"]
    alert = harness.alerts()[0]
    assert alert["details"]["state"] == "Stopping" and alert["details"]["wait"]["state"] == "Stopping"
    assert "stayed Stopping" in str(harness.audit())
    assert "sagemaker:DeleteNotebookInstance" not in harness.faults.calls


@pytest.mark.parametrize("status", ["InService", "Stopped"])
def test_root_access_only_is_fixed_in_place(harness, status):
    world = harness.world
    harness.create_notebook(
        "analysis",
        status,
        SubnetId=world.private_subnet_id,
        SecurityGroupIds=[world.security_group_id],
        DirectInternetAccess="Disabled",
        RootAccess="Enabled",
    )
    created = harness.backend.notebook_instances["analysis"].creation_time
    execution = harness.run()
    assert execution.status == "SUCCEEDED", (execution.error, execution.cause)
    assert "sagemaker:DeleteNotebookInstance" not in harness.faults.calls
    assert "sagemaker:UpdateNotebookInstance" in harness.faults.calls
    after = harness.sagemaker.describe_notebook_instance(NotebookInstanceName="analysis")
    assert after["RootAccess"] == "Disabled" and after["CreationTime"].replace(tzinfo=None) == created.replace(
        tzinfo=None
    )
    assert after["NotebookInstanceStatus"] == status  # started again only if it was running
    assert kinds(harness) == ["root-access-fixed"]


def test_notify_only_alerts(harness):
    harness.create_notebook("analysis", "InService")
    execution = harness.run(action="notify", trigger="sweep")
    assert execution.status == "SUCCEEDED"
    assert kinds(harness) == ["violation"]
    assert harness.backend.notebook_instances["analysis"].status == "InService"


def test_quarantine_stops_and_alerts(harness):
    harness.create_notebook("analysis", "InService")
    execution = harness.run(action="quarantine", trigger="sweep")
    assert execution.status == "SUCCEEDED"
    assert kinds(harness) == ["quarantined"]
    assert harness.backend.notebook_instances["analysis"].status == "Stopped"
    assert "sagemaker:DeleteNotebookInstance" not in harness.faults.calls


def test_the_sweep_defaults_to_notify_and_events_to_remediate(harness):
    harness.create_notebook("analysis", "InService")
    execution = harness.run(action=None, trigger="sweep")
    assert execution.status == "SUCCEEDED" and kinds(harness) == ["violation"]

"""Delete destroys only what it just read; past it, Create settles every answer; no alert vanishes (issue 10).

Things that happen in the account between two steps (an owner changing, exempting or deleting the notebook, a
throttled or lost Create) are staged with the Lambda seam's ``before`` hook, on the real ASL file.
"""

from __future__ import annotations

import json

from notebook_guard.aws import clients
from notebook_guard.domain.recreate import EXECUTION_TAG
from tests.workflow.test_scenarios import assert_remediated, kinds


def tags_of(harness, name="analysis") -> dict[str, str]:
    arn = harness.sagemaker.describe_notebook_instance(NotebookInstanceName=name)["NotebookInstanceArn"]
    return {t["Key"]: t["Value"] for t in harness.sagemaker.list_tags(ResourceArn=arn)["Tags"]}


def lifecycle(harness, name: str) -> str:
    harness.sagemaker.create_notebook_instance_lifecycle_config(
        NotebookInstanceLifecycleConfigName=name, OnStart=[{"Content": "ZWNobyBoaQ=="}]
    )
    return name


# 4. Delete checks content ---------------------------------------------------------------------------------------


def test_changes_between_snapshot_and_delete_the_recreated_notebook_equals_the_notebook_at_delete(harness):
    harness.create_notebook(
        "analysis",
        "InService",
        VolumeSizeInGB=5,
        LifecycleConfigName=lifecycle(harness, "lc-one"),
        Tags=[{"Key": "team", "Value": "risk"}, {"Key": "stale", "Value": "x"}],
    )
    lifecycle(harness, "lc-two")

    def owner_changes_it(_event):  # between the snapshot and the delete, while it is stopped
        sm = harness.sagemaker
        sm.update_notebook_instance(
            NotebookInstanceName="analysis", InstanceType="ml.t3.large", VolumeSizeInGB=20, LifecycleConfigName="lc-two"
        )
        harness.fake.set_status(harness.backend, "analysis", "Stopped")
        arn = harness.backend.notebook_instances["analysis"].arn
        sm.add_tags(ResourceArn=arn, Tags=[{"Key": "team", "Value": "fraud"}, {"Key": "cost-center", "Value": "cc-7"}])
        sm.delete_tags(ResourceArn=arn, TagKeys=["stale"])
        at_delete.update(sm.describe_notebook_instance(NotebookInstanceName="analysis"))

    at_delete: dict = {}
    harness.seam.before("Delete", owner_changes_it)
    after = assert_remediated(harness, harness.run())
    for field in ("InstanceType", "VolumeSizeInGB", "NotebookInstanceLifecycleConfigName", "RoleArn"):
        assert after[field] == at_delete[field], field
    user_tags = {k: v for k, v in tags_of(harness).items() if not k.startswith("notebook-guard:")}
    assert user_tags == {"team": "fraud", "cost-center": "cc-7"}
    # A fresh snapshot of the notebook as it was at the delete, audited with its version and create request.
    records = {r.get("sequence"): r for r in harness.audit() if r["outcome"] == "snapshot"}
    assert set(records) == {1, 2} and records[2]["version_id"] and "InstanceType" in records[2]["why"]
    assert records[2]["create_request"]["InstanceType"] == "ml.t3.large"
    assert tags_of(harness)["notebook-guard:snapshot"] == records[2]["snapshot_uri"]
    alert = harness.alerts()[-1]
    assert any("VolumeSizeInGB: 5 -> 20" in d for d in alert["details"]["differences"])


def test_an_exemption_granted_before_the_delete_stops_without_deleting(harness):
    harness.create_notebook("analysis", "InService")

    def exempt_it(_event):
        arn = harness.backend.notebook_instances["analysis"].arn
        harness.sagemaker.add_tags(ResourceArn=arn, Tags=[{"Key": "notebook-guard:exempt", "Value": "SEC-99 vendor"}])

    harness.seam.before("Delete", exempt_it)
    execution = harness.run()
    assert execution.status == "SUCCEEDED" and "Record that the notebook is exempt" in execution.states_entered
    assert "sagemaker:DeleteNotebookInstance" not in harness.faults.calls and harness.exists("analysis")
    (alert,) = harness.alerts()
    assert alert["kind"] == "exempt" and alert["exempt"] is True
    assert harness.lease()["held"] is False


# 6. Past the point of no return ---------------------------------------------------------------------------------


def test_owner_deletes_the_notebook_just_before_delete_is_not_recreated(harness):
    harness.create_notebook("analysis", "InService")
    harness.seam.before(
        "Delete", lambda _event: harness.sagemaker.delete_notebook_instance(NotebookInstanceName="analysis")
    )
    execution = harness.run()
    assert execution.status == "SUCCEEDED" and "Record that the notebook is gone" in execution.states_entered
    assert "sagemaker:CreateNotebookInstance" not in harness.faults.calls
    assert harness.faults.calls.count("sagemaker:DeleteNotebookInstance") == 1  # the owner's, not ours
    harness.describe("analysis")  # the owner's delete runs its course
    assert not harness.exists("analysis")
    (alert,) = harness.alerts()
    assert alert["kind"] == "gone" and alert["snapshot_uri"] and "notebook-guard restore" in alert["restore"]


def test_create_throttled_for_10_minutes_is_recreated(harness):
    harness.create_notebook("analysis", "InService")
    clock, window = harness.fake.clock, {}

    def throttle_for_ten_minutes(_event):
        window["start"] = clock.now
        harness.faults.inject(
            "sagemaker:CreateNotebookInstance", "throttling", active_while=lambda: clock.now < window["start"] + 600
        )

    harness.seam.before("Create", throttle_for_ten_minutes)
    assert_remediated(harness, harness.run())
    assert clock.now - window["start"] >= 600
    assert harness.seam.invocations.count("Create") > 5  # the state machine kept retrying, past 10 minutes


def test_lost_create_response_ends_remediated(harness):
    harness.create_notebook("analysis", "InService")
    # CreateNotebookInstance takes effect and its answer is lost (a 500); boto3 retries and meets its own notebook.
    harness.faults.inject("sagemaker:CreateNotebookInstance", "lost-response", times=1)
    execution = harness.run()
    assert_remediated(harness, execution)
    assert harness.faults.calls.count("sagemaker:CreateNotebookInstance") == 2
    (exited,) = [
        json.loads(e["stateExitedEventDetails"]["output"])
        for e in execution.events
        if e["type"] == "TaskStateExited"
        and e["stateExitedEventDetails"]["name"] == "Recreate the notebook in the private subnet"
    ]
    assert exited["created"]["already_created"] is True  # settled by Describe: our own notebook, adopted
    assert tags_of(harness)[EXECUTION_TAG] == execution.arn.rsplit(":", 1)[-1]


def test_a_same_name_notebook_this_execution_did_not_create_is_not_adopted(harness):
    harness.create_notebook("analysis", "InService")
    snapshot = {}

    def someone_replays_the_runbook(event):
        # After our delete, someone creates the notebook from the snapshot's own create request.
        bucket, key = event["snapshot"]["bucket"], event["snapshot"]["key"]
        snapshot.update(json.loads(clients.client("s3", "us-east-1").get_object(Bucket=bucket, Key=key)["Body"].read()))
        harness.sagemaker.create_notebook_instance(**snapshot["create_request"])

    harness.seam.before("Create", someone_replays_the_runbook)
    execution = harness.run()
    assert execution.status == "FAILED" and harness.alerts()[-1]["kind"] == "failed"
    assert "NotebookChanged" in harness.alerts()[-1]["details"]["error"]
    assert harness.faults.calls.count("sagemaker:CreateNotebookInstance") == 1  # the replay; ours never ran


# 7. Alerts never vanish -----------------------------------------------------------------------------------------


def test_sns_denied_writes_the_audit_record_and_parks_the_alert_in_the_dead_letter_queue(harness):
    harness.create_notebook("analysis", "InService")
    harness.faults.inject("sns:Publish", "access-denied")
    execution = harness.run()
    assert execution.status == "SUCCEEDED"
    assert "remediated" in [r["outcome"] for r in harness.audit()]
    (parked,) = harness.dead_letters()
    assert parked["subject"].endswith("remediated, now in the private subnet")
    assert "AccessDenied" in parked["publish_error"]
    assert parked["topic_arn"] == harness.world.topic_arn and '"kind": "remediated"' in parked["message"]
    assert harness.alerts() == []


def test_sns_denied_and_create_failing_still_leaves_an_audit_record_and_a_parked_restore_alert(harness):
    harness.create_notebook("analysis", "InService")
    harness.faults.inject("sns:Publish", "access-denied")
    harness.faults.inject("sagemaker:CreateNotebookInstance", "access-denied")
    execution = harness.run()
    assert execution.status == "FAILED" and not harness.exists("analysis")
    failed = [r for r in harness.audit() if r["outcome"] == "failed"]
    assert failed and failed[0]["snapshot_uri"] and failed[0]["version_id"]
    (parked,) = harness.dead_letters()
    assert "remediation FAILED" in parked["subject"] and "notebook-guard restore s3://" in parked["message"]
    # The failure path released the lease too: the notebook is re-armed for the next trigger.
    lease = harness.lease()
    assert lease["held"] is False and lease["last_outcome"] == "failed" and lease["holder"] == execution.arn


def test_an_announced_execution_that_finds_nothing_to_do_still_closes_with_an_alert(harness):
    harness.create_notebook("analysis", "InService", Tags=[{"Key": "notebook-guard:exempt", "Value": "SEC-1 lab"}])
    execution = harness.run(announced=True)
    assert execution.status == "SUCCEEDED"
    assert kinds(harness) == ["exempt"]

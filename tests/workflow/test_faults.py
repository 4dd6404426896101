"""Fault injection at every AWS call the workflow makes: the safety invariant holds every time.

Invariant: no Delete without a verified snapshot and a passed preflight; afterwards the original or the
replacement exists, or the snapshot and an alert explain how to restore.
"""

from __future__ import annotations

import pytest

from notebook_guard_local.fake import FAULT_KINDS

# Every AWS call of the workflow, by path. Adding a call without listing it here fails
# test_the_call_sites_are_exactly_the_listed_ones, and listing it here puts it under fault injection.
RECREATE_CALLS = {
    "sagemaker:DescribeNotebookInstance",
    "sagemaker:ListTags",
    "sagemaker:DescribeNotebookInstanceLifecycleConfig",
    "sagemaker:StopNotebookInstance",
    "sagemaker:DeleteNotebookInstance",
    "sagemaker:CreateNotebookInstance",
    "s3:PutObject",
    "s3:GetObject",
    "dynamodb:PutItem",
    "dynamodb:GetItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",  # a callback wait's record, once answered
    "ec2:DescribeSubnets",
    "ec2:DescribeRouteTables",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeVpcEndpoints",
    "ec2:DescribeVpcAttribute",
    "iam:GetRole",
    "kms:DescribeKey",
    "kms:GetKeyPolicy",
    "iam:SimulatePrincipalPolicy",
    "sns:Publish",
    # The notebook's Security Hub findings (none here, so no update); test_security_hub injects faults there.
    "securityhub:GetFindings",
}
ROOT_ACCESS_CALLS = {
    "sagemaker:DescribeNotebookInstance",
    "sagemaker:ListTags",
    "sagemaker:StopNotebookInstance",
    "sagemaker:UpdateNotebookInstance",
    "sagemaker:StartNotebookInstance",
    "s3:PutObject",
    "s3:GetObject",
    "dynamodb:PutItem",
    "dynamodb:GetItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "iam:GetRole",
    "iam:SimulatePrincipalPolicy",
    "sns:Publish",
    "securityhub:GetFindings",
}
# A replacement that fails for lack of capacity in its zone, deleted and created again in the next subnet.
CAPACITY_RETRY_CALLS = RECREATE_CALLS | {"sagemaker:DeleteNotebookInstance"}
TRANSIENT_ONCE = "throttling-once"


def full_notebook(harness, name: str) -> None:
    """A notebook whose remediation makes every call: lifecycle config, KMS key."""
    from notebook_guard.aws import clients

    sagemaker = harness.sagemaker
    config = f"{name}-lc"
    sagemaker.create_notebook_instance_lifecycle_config(
        NotebookInstanceLifecycleConfigName=config, OnStart=[{"Content": "ZWNobyBoaQ=="}]
    )
    key = clients.client("kms", harness.world.region).create_key()["KeyMetadata"]["KeyId"]
    harness.create_notebook(name, "InService", LifecycleConfigName=config, KmsKeyId=key)


def root_access_notebook(harness, name: str) -> None:
    world = harness.world
    harness.create_notebook(
        name,
        "InService",
        SubnetId=world.private_subnet_id,
        SecurityGroupIds=[world.security_group_id],
        DirectInternetAccess="Disabled",
    )


def test_the_call_sites_are_exactly_the_listed_ones(harness):
    full_notebook(harness, "full")
    assert harness.run("full").status == "SUCCEEDED"
    assert set(harness.faults.calls) == RECREATE_CALLS
    root_access_notebook(harness, "rooted")
    assert harness.run("rooted").status == "SUCCEEDED"
    assert set(harness.faults.calls) == ROOT_ACCESS_CALLS


def assert_invariant(harness, name: str, execution, original_created) -> None:
    harness.faults.clear()  # the checks below read through the same (faulty) APIs
    entered = execution.states_entered
    deleted = (name, "Deleting") in harness.fake.history
    snapshots = harness.snapshots(name)
    if deleted:
        before_delete = entered[: entered.index("Delete the notebook")]
        assert "Snapshot the notebook" in before_delete and "Did the preflight pass?" in before_delete
        preflight_passed = [
            e
            for e in execution.events
            if e["type"] == "TaskStateExited"
            and e["stateExitedEventDetails"]["name"] == "Check the target network, role and key"
        ]
        assert preflight_passed and '"passed":true' in preflight_passed[0]["stateExitedEventDetails"]["output"]
        assert snapshots, "deleted without a snapshot in the bucket"
    notebook = harness.backend.notebook_instances.get(name)
    if notebook is not None and notebook.creation_time == original_created:
        return  # the original is still there
    if notebook is not None and notebook.subnet_id == harness.world.private_subnet_id:
        return  # the replacement is there
    # Neither: the snapshot and an alert must say how to restore.
    assert snapshots, "notebook lost and no snapshot"
    alerts = [a for a in harness.alerts() if a["notebook"]["name"] == name and a["kind"] in ("failed", "stuck")]
    assert alerts, f"notebook {name} lost without a failure alert"
    assert (
        alerts[-1]["snapshot_uri"] and f"notebook-guard restore {alerts[-1]['snapshot_uri']}" in alerts[-1]["restore"]
    )


def inject_and_run(harness, make, call: str, kind: str, name: str):
    make(harness, name)
    original_created = harness.backend.notebook_instances[name].creation_time
    if kind == TRANSIENT_ONCE:
        harness.faults.inject(call, "throttling", times=1)
    else:
        harness.faults.inject(call, kind)
    execution = harness.run(name)
    assert_invariant(harness, name, execution, original_created)
    if kind == TRANSIENT_ONCE:
        assert execution.status == "SUCCEEDED", (call, execution.error, execution.cause)
    harness.faults.clear()
    return execution


_SHORT = {"throttling": "thr", "server-error": "5xx", "access-denied": "deny", TRANSIENT_ONCE: "thr1"}


def notebook_name(call: str, kind: str, prefix: str = "") -> str:
    service, operation = call.split(":")
    return f"{prefix}{_SHORT[kind]}-{service}-{operation}"[:58].rstrip("-")


@pytest.mark.parametrize("call", sorted(c for c in RECREATE_CALLS if c.startswith("sagemaker:")))
def test_recreate_path_survives_a_fault_at(shared_harness, call):
    for kind in (*FAULT_KINDS, TRANSIENT_ONCE):
        inject_and_run(shared_harness, full_notebook, call, kind, notebook_name(call, kind))


@pytest.mark.parametrize("call", sorted(ROOT_ACCESS_CALLS - RECREATE_CALLS))
def test_root_access_path_survives_a_fault_at(shared_harness, call):
    for kind in (*FAULT_KINDS, TRANSIENT_ONCE):
        inject_and_run(shared_harness, root_access_notebook, call, kind, notebook_name(call, kind, "root-"))


def test_a_failure_after_the_delete_leaves_a_snapshot_and_a_restore_alert(shared_harness):
    harness = shared_harness
    execution = inject_and_run(
        harness, full_notebook, "sagemaker:CreateNotebookInstance", "access-denied", "after-delete"
    )
    assert execution.status == "FAILED"
    alert = [a for a in harness.alerts() if a["kind"] == "failed" and a["notebook"]["name"] == "after-delete"][-1]
    assert alert["details"]["failed_step"] == "Recreate the notebook in the private subnet"
    assert "AccessDenied" in alert["details"]["error"] or alert["details"]["error"] == "AwsRequestFailed"
    assert not harness.exists("after-delete")

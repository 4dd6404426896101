"""Fault injection at every call data preservation adds (SageMaker's here, the others in
test_faults_preservation_more.py so that pytest-xdist's loadfile spreads them): the safety invariant holds.

Invariant: no Delete without a verified snapshot AND a verified backup of the storage volume; afterwards the original
exists (with its own lifecycle configuration, or an alert that says how to put it back), or the replacement exists
with its data restored, or an alert names the snapshot and the backup and gives the restore command with --data.
"""

from __future__ import annotations

import pytest

from notebook_guard_local.fake import FAULT_KINDS
from tests.workflow.test_data_preservation import ORIGINAL_CONFIG, used_notebook
from tests.workflow.test_faults import RECREATE_CALLS, TRANSIENT_ONCE, notebook_name

# What a preserved remediation calls on top of a plain one. Adding a call without listing it fails
# test_the_preservation_call_sites_are_exactly_the_listed_ones, and listing it puts it under fault injection.
PRESERVATION_CALLS = {
    "sagemaker:CreateNotebookInstanceLifecycleConfig",
    "sagemaker:DeleteNotebookInstanceLifecycleConfig",
    "sagemaker:UpdateNotebookInstance",
    "sagemaker:StartNotebookInstance",
    "kms:CreateGrant",
    "kms:RetireGrant",
    "s3:GetBucketPolicy",
    "s3:PutBucketPolicy",
    "s3:ListObjectsV2",
}
# Access denied (a call that fails for good: throttling past the retries ends the step the same way) and throttling
# once (retried through).
KINDS = ("access-denied", TRANSIENT_ONCE)


def preserved_notebook(harness, name: str) -> dict:
    from notebook_guard.aws import clients

    key = clients.client("kms", harness.world.region).create_key()["KeyMetadata"]["KeyId"]
    return used_notebook(harness, name, config=f"{name}-lc"[:63], KmsKeyId=key)


def test_the_preservation_call_sites_are_exactly_the_listed_ones(harness):
    before = preserved_notebook(harness, "full-data")
    execution = harness.run("full-data", data_preservation="always")
    assert execution.status == "SUCCEEDED", (execution.error, execution.cause)
    assert harness.volume("full-data").view() == before
    assert set(harness.faults.calls) == RECREATE_CALLS | PRESERVATION_CALLS
    assert set(FAULT_KINDS) >= {"throttling", "access-denied"}


def assert_preservation_invariant(harness, name: str, execution, created, before: dict) -> None:
    harness.faults.clear()  # the checks below read through the same (faulty) APIs
    entered = execution.states_entered
    deleted = (name, "Deleting") in harness.fake.history
    if deleted:
        before_delete = entered[: entered.index("Delete the notebook")]
        assert "Snapshot the notebook" in before_delete and "Keep the verified backup" in before_delete
        outcomes = [r["outcome"] for r in harness.audit(name)]
        assert "backup-verified" in outcomes and outcomes.index("backup-verified") < outcomes.index("deleting")
    notebook = harness.backend.notebook_instances.get(name)
    alerts = [a for a in harness.alerts() if a["notebook"]["name"] == name]
    if notebook is not None and notebook.creation_time == created:
        assert not deleted
        assert harness.volume(name).view() == before  # its data untouched
        if notebook.lifecycle_config_name != ORIGINAL_CONFIG:  # not put back: the alert says how
            assert alerts, "the original carries notebook-guard's configuration and nobody was told"
            return
        return
    restored = any(r["outcome"] == "restored" for r in harness.audit(name))
    if notebook is not None and restored:
        assert harness.volume(name).view() == before
        return
    # The data is not (yet) where it belongs: an alert must give the backup and the restore command.
    closing = [a for a in alerts if a["kind"] in ("failed", "stuck")]
    assert closing, f"notebook {name}: data not restored and no failure alert"
    restore = closing[-1]["restore"] or ""
    assert restore.startswith("notebook-guard restore s3://") and " --data s3://" in restore, restore


def inject_and_run(harness, call: str, kind: str, name: str):
    before = preserved_notebook(harness, name)
    created = harness.backend.notebook_instances[name].creation_time
    if kind == TRANSIENT_ONCE:
        harness.faults.inject(call, "throttling", times=1)
    else:
        harness.faults.inject(call, kind)
    execution = harness.run(name, data_preservation="always")
    assert_preservation_invariant(harness, name, execution, created, before)
    if kind == TRANSIENT_ONCE:
        assert execution.status == "SUCCEEDED", (call, execution.error, execution.cause)
    harness.faults.clear()
    return execution


@pytest.mark.parametrize("call", sorted(c for c in PRESERVATION_CALLS if c.startswith("sagemaker:")))
def test_preservation_survives_a_fault_at(shared_harness, call):
    for kind in KINDS:
        inject_and_run(shared_harness, call, kind, notebook_name(call, kind, "p-"))

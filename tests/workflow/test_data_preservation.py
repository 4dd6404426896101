"""Nothing lost: the storage volume is backed up before the recreate and restored into the replacement, on the real
ASL file. The fake runs what notebook-guard's lifecycle configurations do (fake/lifecycle.py): a volume per
notebook, the backup in the backup bucket with its manifest and markers, the restore into the new volume."""

from __future__ import annotations

import base64
import json
import re

import pytest

from notebook_guard.aws import clients
from notebook_guard_local.fake.paths import CAPACITY_REASON

DAY = 86400
ORIGINAL_CONFIG = "team-setup"
ON_START = "IyEvYmluL2Jhc2gKZWNobyAndGVhbSBzZXR1cCcK"  # "#!/bin/bash\necho 'team setup'\n"


def used_notebook(harness, name: str, config: str | None = None, **extra) -> dict:
    """A notebook that has been in use for months: nested files, binary, empty, large, unicode names, links."""
    if config:
        harness.sagemaker.create_notebook_instance_lifecycle_config(
            NotebookInstanceLifecycleConfigName=config, OnStart=[{"Content": ON_START}]
        )
        extra["LifecycleConfigName"] = config
    harness.create_notebook(name, "InService", **extra)
    harness.fake.backdate(harness.backend, name, 90 * DAY)
    volume = harness.volume(name)
    volume.write("projects/churn/model.pkl", bytes(range(256)) * 4096 + b"\x00\xff")  # 1 MiB and 2 bytes
    volume.write("projects/churn/notes.ipynb", json.dumps({"cells": [], "nbformat": 4}).encode())
    volume.write("projects/churn/empty.csv", b"")
    volume.write("données/été 2026/résumé.txt", "ünïcødé ✓".encode())
    volume.write(".bashrc", b"export X=1\n", mode=0o600)
    volume.write("bin/run.sh", b"#!/bin/sh\nexit 0\n", mode=0o755)
    volume.mkdir("scratch/empty-dir")
    volume.link("latest-model", "projects/churn/model.pkl")
    return volume.view()


def run(harness, name: str, **extra):
    return harness.run(name, data_preservation="always", **extra)


def assert_access_removed(harness) -> None:
    from moto.kms.models import kms_backends

    assert [s["Sid"] for s in harness.bucket_policy()["Statement"]] == ["BackupsAreNeverDeleted"]
    assert kms_backends["123456789012"]["us-east-1"].describe_key(harness.world.backup_key_arn).grants == {}


def body_of(harness, kind: str) -> str:
    """The human text of the alert of ``kind`` (as published)."""
    from moto.sns.models import sns_backends

    topic = sns_backends["123456789012"]["us-east-1"].topics[harness.world.topic_arn]
    return next(n[1] for n in topic.sent_notifications if f'"kind": "{kind}"' in n[1])


def configs(harness) -> set[str]:
    return set(harness.backend.notebook_instance_lifecycle_configurations)


def test_a_used_notebook_keeps_every_file_across_the_recreate(harness):
    """Acceptance: nested files (binary, empty, large, unicode names) come back identical; the after-state and the
    alert say how many files and bytes were preserved."""
    before = used_notebook(harness, "keeper")
    original = harness.describe("keeper", advance=False)
    execution = run(harness, "keeper")

    assert execution.status == "SUCCEEDED", (execution.error, execution.cause)
    replacement = harness.describe("keeper", advance=False)
    assert replacement["CreationTime"] != original["CreationTime"]
    assert harness.backend.notebook_instances["keeper"].subnet_id == harness.world.private_subnet_id
    assert harness.volume("keeper").view() == before  # content, modes, owners, links, empty directories

    files = sum(1 for kind, *_ in before.values() if kind == "file")
    size = sum(len(data) for kind, data, *_ in before.values() if kind == "file")
    assert files == 6 and size > 1048576
    verified = next(r for r in harness.audit("keeper") if r["outcome"] == "verified")
    assert {k: verified["after"]["data_preserved"][k] for k in ("files", "bytes")} == {"files": files, "bytes": size}
    (alert,) = [a for a in harness.alerts() if a["kind"] == "remediated"]
    restored = alert["details"]["data"]["restored"]
    assert (restored["files"], restored["bytes"], restored["links"]) == (files, size, 1)
    assert re.search(rf"Its storage volume was preserved: {files} files, 1\.0 MiB, backed up, restored and verified",
                     body_of(harness, "remediated"))
    # Everything of this execution's is gone again but the backup itself (kept for backup_retention_days).
    assert not any(c.startswith("ng-") for c in configs(harness))
    assert_access_removed(harness)
    assert "notebook-guard:execution" in {t["Key"] for t in harness.sagemaker.list_tags(
        ResourceArn=replacement["NotebookInstanceArn"])["Tags"]}
    backup = harness.backups("keeper")
    assert any(k.endswith("/complete.json") for k in backup) and any(k.endswith("/restored.json") for k in backup)
    assert not harness.enforcement.denials


def test_auto_backs_up_a_notebook_that_existed_and_not_one_caught_at_creation(harness):
    used_notebook(harness, "old-lab")
    harness.create_notebook("brand-new", "InService")
    old, new = harness.run("old-lab"), harness.run("brand-new")  # data_preservation=auto, the default
    assert old.status == new.status == "SUCCEEDED"
    assert "Attach the backup configuration" in old.states_entered and "Check the restore" in old.states_entered
    assert "Attach the backup configuration" not in new.states_entered
    assert [a["details"]["data"] for a in harness.alerts() if a["notebook"]["name"] == "brand-new"] == [None]


@pytest.mark.parametrize("put_back", [True, False])
def test_the_notebooks_own_lifecycle_configuration_comes_back(harness, put_back):
    name = f"configured-{str(put_back).lower()}"
    used_notebook(harness, name, config=ORIGINAL_CONFIG)
    execution = run(harness, name, restore_original_lifecycle=put_back)
    assert execution.status == "SUCCEEDED", (execution.error, execution.cause)
    attached = harness.backend.notebook_instances[name].lifecycle_config_name
    ours = {c for c in configs(harness) if c.startswith("ng-")}
    if put_back:  # stopped, its own configuration attached again, started: ours are all deleted
        assert attached == ORIGINAL_CONFIG and ours == set()
        assert "Put back the original configuration on the new notebook" in execution.states_entered
    else:  # it keeps the restore configuration (OnStart: the original's), which is therefore kept
        assert attached.startswith("ng-restore-") and ours == {attached}
        on_start = harness.backend.notebook_instance_lifecycle_configurations[attached].on_start[0]["Content"]
        assert "team setup" in base64.b64decode(on_start).decode()
    assert ORIGINAL_CONFIG in configs(harness)  # the customer's configuration is never edited nor deleted
    assert harness.backend.notebook_instance_lifecycle_configurations[ORIGINAL_CONFIG].on_start[0]["Content"] == (
        ON_START
    )
    assert_access_removed(harness)


def assert_nothing_deleted(harness, name: str, created, config: str | None = ORIGINAL_CONFIG) -> None:
    notebook = harness.backend.notebook_instances[name]
    assert (name, "Deleting") not in harness.fake.history
    assert notebook.creation_time == created and notebook.status == "Stopped"
    assert notebook.lifecycle_config_name == config  # its own configuration is back


@pytest.mark.parametrize(
    ("behaviour", "reason"),
    [
        ("partial", "aws s3 sync exited with code 2: at least one file was skipped"),
        ("failed", "aws s3 sync exited with code 1"),
        ("in-use", "changed while the backup ran (the notebook was in use)"),
        ("missing-objects", "the backup does not match its manifest: missing object for projects/churn/notes.ipynb"),
    ],
)
def test_a_failed_backup_deletes_nothing_and_puts_the_original_back(harness, behaviour, reason):
    name = f"bad-backup-{behaviour}"
    before = used_notebook(harness, name, config=ORIGINAL_CONFIG)
    created = harness.backend.notebook_instances[name].creation_time
    harness.fake.lifecycle.backup_behaviour[name] = behaviour
    execution = run(harness, name)
    assert execution.status == "FAILED"
    assert_nothing_deleted(harness, name, created)
    assert harness.volume(name).view() == before
    (alert,) = [a for a in harness.alerts() if a["kind"] == "backup-failed"]
    assert reason in alert["details"]["cause"] and alert["restore"] is None
    text = body_of(harness, "backup-failed")
    assert "so nothing was deleted: the notebook is Stopped, with its data and its own lifecycle configuration" in text
    assert_access_removed(harness)
    assert not any(c.startswith("ng-") for c in configs(harness))


def test_a_backup_that_does_not_finish_within_its_bound_is_stuck_and_deletes_nothing(harness):
    name = "slow-backup"
    used_notebook(harness, name, config=ORIGINAL_CONFIG)
    created = harness.backend.notebook_instances[name].creation_time
    harness.fake.lifecycle.backup_behaviour[name] = "timeout"
    execution = run(harness, name)
    assert execution.status == "FAILED" and execution.error == "NotebookStuck"
    assert_nothing_deleted(harness, name, created)
    (alert,) = [a for a in harness.alerts() if a["kind"] == "stuck"]
    assert alert["details"]["error"] == "BackupTimedOut"
    assert "backup did not finish within its bound" in body_of(harness, "stuck")
    assert_access_removed(harness)


def test_a_backup_start_that_fails_deletes_nothing_and_says_how_to_put_the_configuration_back(harness):
    """No capacity for the backup's start: the notebook is Failed, which SageMaker does not update (Stopped only), so
    notebook-guard's configuration stays attached and the alert gives the command that puts the notebook's own back."""
    name = "no-capacity"
    before = used_notebook(harness, name, config=ORIGINAL_CONFIG)
    created = harness.backend.notebook_instances[name].creation_time
    harness.seam.before("Start", lambda event: harness.fake.fail_next_start(name, CAPACITY_REASON))
    execution = run(harness, name)
    assert execution.status == "FAILED"
    notebook = harness.backend.notebook_instances[name]
    assert (name, "Deleting") not in harness.fake.history and notebook.creation_time == created
    assert notebook.status == "Failed" and notebook.lifecycle_config_name.startswith("ng-backup-")
    assert harness.volume(name).view() == before
    (alert,) = [a for a in harness.alerts() if a["kind"] == "backup-failed"]
    assert alert["details"]["error"] == "BackupNotStarted" and CAPACITY_REASON in alert["details"]["cause"]
    text = body_of(harness, "backup-failed")
    assert "SageMaker updates only Stopped notebooks" in text
    assert f"--notebook-instance-name {name} --lifecycle-config-name {ORIGINAL_CONFIG}" in text
    kept = [c for c in configs(harness) if c.startswith("ng-")]
    assert kept == [notebook.lifecycle_config_name]  # still attached, so not deleted; the other one is
    assert_access_removed(harness)


@pytest.mark.parametrize("behaviour", ["corrupt", "failed", "timeout"])
def test_a_failed_restore_alerts_with_the_backup_and_the_restore_command(harness, behaviour):
    name = f"bad-restore-{behaviour}"
    used_notebook(harness, name)
    harness.fake.lifecycle.restore_behaviour[name] = behaviour
    execution = run(harness, name)
    assert execution.status == "FAILED"
    assert harness.exists(name)  # the replacement, in the private subnet
    assert harness.backend.notebook_instances[name].subnet_id == harness.world.private_subnet_id
    kind = "stuck" if behaviour == "timeout" else "failed"
    (alert,) = [a for a in harness.alerts() if a["kind"] == kind]
    backup_uri = alert["details"]["data"]["verified"]["uri"]
    assert backup_uri.startswith(f"s3://{harness.world.backup_bucket}/backups/{name}/")
    assert f"--data {backup_uri}" in alert["restore"] and alert["restore"].startswith("notebook-guard restore s3://")
    if behaviour == "corrupt":
        assert "differs from the backup (SHA-256)" in alert["details"]["cause"]
    assert any(key.endswith("/complete.json") for key in harness.backups(name))  # the backup stays
    assert_access_removed(harness)


@pytest.mark.parametrize("when", ["Start", "Create"])
def test_a_stack_update_that_rewrites_the_bucket_policy_does_not_lose_the_backup_or_the_restore(harness, when):
    """CloudFormation owns the bucket policy: a deploy while a backup runs drops its statements. The scripts retry
    their first call, and the workflow gives the access back (at its next check, and before the restore)."""
    from notebook_guard_local.world import backup_bucket_policy

    name = f"redeployed-{when.lower()}"
    before = used_notebook(harness, name)

    def redeploy(event):
        clients.client("s3", "us-east-1").put_bucket_policy(
            Bucket=harness.world.backup_bucket, Policy=backup_bucket_policy(harness.world.backup_bucket)
        )

    harness.seam.before(when, redeploy)
    execution = run(harness, name)
    assert execution.status == "SUCCEEDED", (execution.error, execution.cause)
    assert harness.volume(name).view() == before
    assert any("cannot" in line for _, line in harness.fake.lifecycle.log)  # the script did meet the refusal


def test_a_volume_too_large_to_copy_within_an_execution_is_blocked_before_anything_changes(harness):
    """16 TiB at the assumed 25 MB/s: backup and restore could outlast what an execution has after an approval
    wait (48 hours), so the preflight blocks it rather than deleting a notebook whose restore cannot finish."""
    used_notebook(harness, "huge", VolumeSizeInGB=16384)
    created = harness.backend.notebook_instances["huge"].creation_time
    execution = run(harness, "huge")
    assert execution.error == "PreflightFailed", (execution.error, execution.cause)
    (alert,) = [a for a in harness.alerts() if a["kind"] == "blocked"]
    assert any("more than an execution may run" in p for p in alert["details"]["preflight_problems"])
    notebook = harness.backend.notebook_instances["huge"]
    assert notebook.creation_time == created and notebook.status == "InService"
    assert (("huge", "Stopping") not in harness.fake.history) and not harness.backups("huge")

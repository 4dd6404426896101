"""The CLI's side of data preservation: ``restore SNAPSHOT --data BACKUP`` after a failed restore, and ``plan``'s
data line. The commands run as the operator roles the README documents (their policies from the permission table)."""

from __future__ import annotations

import contextlib
import shlex

from botocore.exceptions import ClientError

from notebook_guard.domain import preservation
from notebook_guard.permissions import principals
from notebook_guard_local import restore_data
from notebook_guard_local.cli import main
from notebook_guard_local.roles import acting_as_principal, cli_names, cli_role_name
from tests.workflow.test_data_preservation import assert_access_removed, run, used_notebook


def restore_argv(command: str) -> list[str]:
    """The alert's restore command, as an operator would type it (what follows it on the line is an explanation)."""
    words = shlex.split(command.split("   ", 1)[0])
    assert words[:2] == ["notebook-guard", "restore"]
    return [*words[1:], "--region", "us-east-1"]


def as_operator(harness, command: str, argv: list[str]) -> int:
    """``notebook-guard ARGV`` run as the operator role the README documents for ``command``."""
    principal = {"plan": principals.CLI_PLAN, "restore": principals.CLI_RESTORE}[command]
    names = cli_names("us-east-1", bucket=harness.world.bucket, backup_bucket=harness.world.backup_bucket)
    with acting_as_principal(principal, cli_role_name(command), names):
        return main(argv)


def delete_for_good(harness, name: str) -> None:
    """What the operator does before the alert's command: delete the notebook and wait until its name is free
    (the Describe that finds it gone answers RecordNotFound)."""
    harness.fake.set_status(harness.backend, name, "Stopped")
    harness.sagemaker.delete_notebook_instance(NotebookInstanceName=name)
    while harness.exists(name):
        with contextlib.suppress(ClientError):
            harness.describe(name)


def test_restore_with_data_brings_the_volume_back_after_a_failed_restore(harness, monkeypatch, capsys):
    before = used_notebook(harness, "second-try")
    harness.fake.lifecycle.restore_behaviour["second-try"] = "failed"
    assert run(harness, "second-try").status == "FAILED"
    (alert,) = [a for a in harness.alerts() if a["kind"] == "failed"]
    argv = restore_argv(alert["restore"])
    assert argv[argv.index("--data") + 1].startswith(f"s3://{harness.world.backup_bucket}/backups/second-try/")
    # The operator deletes the replacement (its volume holds at most part of the data) and runs the alert's command.
    delete_for_good(harness, "second-try")
    harness.fake.lifecycle.restore_behaviour.clear()
    monkeypatch.setattr(restore_data, "POLL_SECONDS", 0)
    capsys.readouterr()
    code = as_operator(harness, "restore", argv)
    text, err = capsys.readouterr()
    assert code == 0, text + err
    assert "restore verified: 6 files match the backup's manifest (SHA-256)" in text
    assert "aws sagemaker update-notebook-instance --notebook-instance-name second-try --disassociate" in text
    assert harness.volume("second-try").view() == before
    notebook = harness.backend.notebook_instances["second-try"]
    assert notebook.lifecycle_config_name.startswith(preservation.RESTORE_CONFIG)
    assert f"restored by lifecycle configuration {notebook.lifecycle_config_name}" in text
    assert notebook.subnet_id == harness.world.private_subnet_id
    assert_access_removed(harness)
    assert not harness.enforcement.denials


def test_restore_with_data_refuses_a_backup_that_is_not_complete(harness, capsys):
    used_notebook(harness, "half-done")
    harness.fake.lifecycle.backup_behaviour["half-done"] = "partial"
    assert run(harness, "half-done").status == "FAILED"
    prefix = next(k for k in harness.backups("half-done") if k.endswith("failed.json")).rsplit("/", 1)[0]
    snapshot = next(r for r in harness.audit("half-done") if r["outcome"] == "snapshot")
    delete_for_good(harness, "half-done")
    argv = restore_argv(
        f"notebook-guard restore {snapshot['snapshot_uri']} --version-id {snapshot['version_id']} "
        f"--data s3://{harness.world.backup_bucket}/{prefix}/"
    )
    assert as_operator(harness, "restore", argv) == 2
    assert "no complete backup at s3://" in capsys.readouterr().err
    assert not harness.exists("half-done")  # nothing created


def test_plan_says_whether_the_data_is_preserved_and_what_it_costs(harness, capsys):
    used_notebook(harness, "planned-old")
    harness.create_notebook("planned-new", "InService")
    world = harness.world
    texts = {}
    for name in ("planned-old", "planned-new"):
        argv = ["plan", name, "--subnet-id", world.private_subnet_id, "--security-group-id", world.security_group_id,
                "--region", "us-east-1"]
        assert as_operator(harness, "plan", argv) == 0
        texts[name] = capsys.readouterr().out
    old, new = texts["planned-old"], texts["planned-new"]
    assert "Data: the storage volume (5 GB allocated; its use is not visible from the API) is backed up" in old
    # With the default settings: 1,147 fixed seconds plus two copies of 5 GiB at 25 MB/s (205 s each) is 1,557 s; each
    # copy may take 900 s plus its 205 s.
    assert "about 25.9 more minutes if it is full, each copy bounded to 18.4 min" in old  # 25.95, rounded
    assert "back up its storage volume (/home/ec2-user/SageMaker)" in old and "files are lost" not in old
    assert "Data: NOT preserved (caught at creation" in new
    assert "destroys its ML storage volume" in new


def test_restore_with_data_takes_the_access_back_when_the_create_fails(harness, capsys):
    used_notebook(harness, "refused")
    harness.fake.lifecycle.restore_behaviour["refused"] = "failed"
    assert run(harness, "refused").status == "FAILED"
    (alert,) = [a for a in harness.alerts() if a["kind"] == "failed"]
    delete_for_good(harness, "refused")
    harness.faults.inject("sagemaker:CreateNotebookInstance", "access-denied")
    code = as_operator(harness, "restore", restore_argv(alert["restore"]))
    harness.faults.clear()
    assert code == 2
    assert "error: CreateNotebookInstance failed: AccessDenied" in capsys.readouterr().err
    assert not harness.exists("refused")
    assert_access_removed(harness)  # no grant, no bucket statement left for a restore that did not happen

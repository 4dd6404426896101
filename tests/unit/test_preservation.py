"""Data preservation's pure decisions: when a volume is backed up, how its access is granted, what counts as a
verified backup, how long the workflow waits for it."""

from __future__ import annotations

import hashlib
import json

import pytest

from notebook_guard.domain import preservation, waits
from notebook_guard.lifecycle import ngdata

STARTED = "2026-11-27T10:00:00+00:00"


@pytest.mark.parametrize(
    ("mode", "created", "wanted"),
    [
        ("auto", "2026-11-27T09:55:00+00:00", False),  # caught at creation: 5 minutes old, nothing on it yet
        ("auto", "2026-11-27T09:49:59+00:00", True),  # older than the restart window: its data is backed up
        ("auto", "2026-08-01T00:00:00+00:00", True),
        ("auto", None, True),  # unknown age: back it up
        ("always", "2026-11-27T09:59:00+00:00", True),
        ("never", "2026-08-01T00:00:00+00:00", False),
    ],
)
def test_auto_backs_up_every_notebook_but_one_caught_at_creation(mode, created, wanted):
    decision = preservation.decide(mode, created, STARTED, 600)
    assert decision.wanted is wanted and decision.mode == mode and decision.why


def test_an_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="auto, always, never"):
        preservation.decide("sometimes", None, None, 600)


def test_names_are_per_execution_ours_and_fit_sagemaker():
    backup, restore = preservation.backup_config_name("run-1"), preservation.restore_config_name("run-1")
    assert backup.startswith("ng-backup-") and restore.startswith("ng-restore-") and len(backup) <= 63
    assert backup != preservation.backup_config_name("run-2")
    assert preservation.is_ours(backup) and preservation.is_ours(restore)
    assert not preservation.is_ours("ng-customer-config") and not preservation.is_ours(None)
    assert preservation.backup_prefix("backups", "lab", "run-1") == "backups/lab/run-1/"


def test_the_bound_follows_the_volume_size():
    assert preservation.bound_seconds(5, 25, 900) == 900 + 205
    assert preservation.bound_seconds(100, 25, 900) == 900 + 4096
    assert preservation.bound_seconds(None, 25, 900) == 900 + 205  # SageMaker's default volume: 5 GB


def test_access_statements_are_added_and_removed_without_touching_the_rest():
    stack = json.dumps({"Version": "2012-10-17", "Statement": [{"Sid": "BackupsAreNeverDeleted", "Effect": "Deny"}]})
    role = "arn:aws:iam::123456789012:role/service-role/Notebook"
    ours = preservation.access_statements("NotebookGuardBackupab", role, "arn:aws:s3:::b", "backups/lab/run-1/")
    assert [s["Principal"] for s in ours] == [{"AWS": role}] * 2  # a fixed principal: not public for S3
    assert ours[0]["Resource"] == "arn:aws:s3:::b/backups/lab/run-1/*" and "s3:DeleteObject" not in ours[0]["Action"]
    assert ours[1]["Condition"] == {"StringLike": {"s3:prefix": ["backups/lab/run-1/*"]}}
    other = preservation.access_statements("NotebookGuardBackupcd", role, "arn:aws:s3:::b", "backups/x/run-2/")
    granted = preservation.with_statements(preservation.with_statements(stack, "NotebookGuardBackupab", ours),
                                           "NotebookGuardBackupcd", other)
    assert preservation.has_statements(granted, ours) and preservation.has_statements(granted, other)
    again = preservation.with_statements(granted, "NotebookGuardBackupab", ours)  # a retry adds nothing twice
    assert len(json.loads(again)["Statement"]) == 5
    removed = preservation.without_statements(again, "NotebookGuardBackupab")
    assert [s["Sid"] for s in json.loads(removed)["Statement"]] == [
        "BackupsAreNeverDeleted", "NotebookGuardBackupcdObjects", "NotebookGuardBackupcdList"
    ]
    assert preservation.without_statements(removed, "NotebookGuardBackupab") is None  # nothing left to change
    assert preservation.with_statements(None, "NotebookGuardBackupab", ours)  # a bucket without a policy


def manifest_of(files: dict[str, bytes]) -> bytes:
    entries = [{"path": p, "type": "file", "size": len(d), "sha256": hashlib.sha256(d).hexdigest(), "mode": 420,
                "uid": 1000, "gid": 1000, "mtime_ns": 0} for p, d in files.items()]
    return ngdata.encode_manifest(entries, "/home/ec2-user/SageMaker")


def test_a_backup_is_verified_against_its_marker_manifest_and_objects():
    files = {"a.txt": b"hello", "dir/b.bin": b"\x00" * 10, "empty": b""}
    manifest = manifest_of(files)
    complete = {"files": 3, "bytes": 15, "manifest_sha256": hashlib.sha256(manifest).hexdigest()}
    listing = {f"p/data/{k}": len(v) for k, v in files.items()}
    verified, problems = preservation.verify_backup(complete, manifest, listing, "p/data/")
    assert problems == [] and (verified.files, verified.bytes) == (3, 15)
    # A missing object, a short object, a marker that disagrees, a manifest that is not the one marked.
    _, problems = preservation.verify_backup(complete, manifest, {**listing, "p/data/a.txt": 4}, "p/data/")
    assert problems == ["object for a.txt has 4 bytes, the file 5"]
    _, problems = preservation.verify_backup(complete, manifest, {"p/data/a.txt": 5}, "p/data/")
    assert problems == ["missing object for dir/b.bin", "missing object for empty"]
    _, problems = preservation.verify_backup({**complete, "files": 2}, manifest, listing, "p/data/")
    assert problems == ["the completion marker counts 2 files, the manifest 3"]
    _, problems = preservation.verify_backup({**complete, "manifest_sha256": "0" * 64}, manifest, listing, "p/data/")
    assert problems == ["the manifest's SHA-256 is not the one in the completion marker"]
    _, problems = preservation.verify_backup(complete, b'{"schema": "other"}\n', listing, "p/data/")
    assert any("not a notebook-guard manifest" in p for p in problems)


def test_the_marker_wait_has_its_own_bound_and_ends_failed_or_done():
    schedule = waits.WaitSchedule()  # 60 s, x2, capped at 180 s
    first = waits.judge_marker(waits.BACKED_UP, "missing", None, schedule, bound_seconds=400)
    assert (first.count, first.next_wait, first.stuck) == (1, 60, False)
    second = waits.judge_marker(waits.BACKED_UP, "started", first.to_dict(), schedule, 400, data={"files": 3})
    assert (second.waited, second.next_wait, second.to_dict()["data"]) == (180, 120, {"files": 3})
    third = waits.judge_marker(waits.BACKED_UP, "started", second.to_dict(), schedule, 400)
    assert (third.waited, third.stuck) == (360, False)
    fourth = waits.judge_marker(waits.BACKED_UP, "started", third.to_dict(), schedule, 400)
    assert fourth.stuck and fourth.next_wait == 0  # 360 + 180 would pass the bound of 400
    failed = waits.judge_marker(waits.RESTORED, "failed", None, schedule, 400, "restore-failed.json: reason")
    assert failed.failed and failed.failure_reason == "restore-failed.json: reason" and not failed.stuck
    done = waits.judge_marker(waits.RESTORED, "done", None, schedule, 400)
    assert done.done and "data" not in done.to_dict()
    with pytest.raises(ValueError):
        waits.judge_marker(waits.STOPPED, "done", None, schedule, 400)

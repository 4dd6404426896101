"""The backup and restore lifecycle scripts, run for real: bash on this machine, a stand-in AWS CLI (stub_aws.py)
playing S3 in a directory. What the workflow relies on: the script ends at once (the work goes to the background),
the markers say what happened, exit code 2 of aws s3 sync is a failure, the restore brings the volume back identical
and verifies every file against the manifest; and the rendered scripts are quoted, fit SageMaker's limit and never
need the internet."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from notebook_guard.domain import internet
from notebook_guard.lifecycle import ngdata, templates

STUB = Path(__file__).with_name("stub_aws.py")


@pytest.fixture
def place(tmp_path):
    """A volume with nested, binary, empty, unicode and linked content; S3 as a directory; the stub CLI on PATH."""
    volume = tmp_path / "volume"
    (volume / "lost+found").mkdir(parents=True)
    (volume / "project" / "data").mkdir(parents=True)
    (volume / "project" / "data" / "weights.bin").write_bytes(bytes(range(256)) * 300)
    (volume / "project" / "empty.txt").write_bytes(b"")
    (volume / "résumé ünïcode.ipynb").write_text('{"cells": []}', encoding="utf-8")
    (volume / "empty-dir").mkdir()
    (volume / "run.sh").write_text("#!/bin/sh\necho hi\n")
    os.chmod(volume / "run.sh", 0o750)  # noqa: S103 (a test file: its mode must survive the round trip)
    os.symlink("project/data/weights.bin", volume / "latest")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    # Without site-packages (-S): each call starts in a fraction of the time, and the scripts need only the stdlib.
    (bin_dir / "aws").write_text(f'#!/bin/sh\nexec {sys.executable} -S -E {STUB} "$@"\n')
    (bin_dir / "python3").write_text(f'#!/bin/sh\nexec {sys.executable} -S -E "$@"\n')
    for tool in ("aws", "python3"):
        os.chmod(bin_dir / tool, 0o755)  # noqa: S103 (the stand-in CLI must be executable)
    s3 = tmp_path / "s3"
    s3.mkdir()
    # The scripts retry their first S3 call every NG_RETRY_SECONDS (30 on a notebook): here a tenth of a second.
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "STUB_S3": str(s3), "NG_RETRY_SECONDS": "0.1"}
    return tmp_path, volume, s3, env


def values(volume: Path, execution: str) -> templates.Values:
    return templates.Values("backup-bucket", f"backups/lab/{execution}/", "us-east-1", execution, str(volume))


def launch(script: str, env: dict, flag_dir: Path | None = None) -> None:
    """Run a lifecycle script as SageMaker would; it must end at once (the work goes on in the background)."""
    if flag_dir is not None:  # the restore's flag lives in /run on the notebook
        script = script.replace("/run/notebook-guard-restoring", f"{flag_dir}/notebook-guard-restoring")
    started = time.monotonic()
    done = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0 and time.monotonic() - started < 10, done.stderr


def wait_for(s3: Path, jobs: dict[str, tuple[str, ...]], timeout: float = 40) -> dict[str, str]:
    """execution -> the first of its markers that appeared."""
    found: dict[str, str] = {}
    deadline = time.monotonic() + timeout
    while len(found) < len(jobs) and time.monotonic() < deadline:
        for execution, names in jobs.items():
            for name in names:
                if execution not in found and (s3 / "backup-bucket/backups/lab" / execution / name).exists():
                    found[execution] = name
        time.sleep(0.05)
    return found


def marker(s3: Path, execution: str, name: str) -> dict:
    return json.loads((s3 / "backup-bucket/backups/lab" / execution / name).read_text())


def tree(root: Path) -> dict:
    """Everything a restore must bring back: type, content, mode, modification time, link target."""
    found = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        if relative.startswith("lost+found"):
            continue
        info = path.lstat()
        if path.is_symlink():
            found[relative] = ("link", os.readlink(path))
        elif path.is_dir():
            found[relative] = ("dir", oct(info.st_mode & 0o7777), info.st_mtime_ns)
        else:
            found[relative] = ("file", path.read_bytes(), oct(info.st_mode & 0o7777), info.st_mtime_ns)
    return found


def copy_volume(source: Path, target: Path) -> Path:
    import shutil

    shutil.copytree(source, target, symlinks=True)
    return target


def test_the_backup_script_copies_verifies_and_marks_and_fails_loudly(place):
    """Four notebooks at once (the script runs in the background, so they overlap): a normal one, one whose AWS CLI
    is too old for --checksum-algorithm, one with a FIFO (aws s3 sync skips it: exit code 2, a failure), one whose
    role may not write (nothing can be reported: the workflow's bound ends it)."""
    tmp, volume, s3, env = place
    volumes = {name: copy_volume(volume, tmp / name) for name in ("plain", "old-cli", "fifo", "denied")}
    os.mkfifo(volumes["fifo"] / "pipe")
    environments = {"old-cli": {**env, "STUB_NO_CHECKSUM": "1"}, "denied": {**env, "STUB_DENY": "1"}}
    for name, root in volumes.items():
        launch(templates.backup_script(values(root, name)), environments.get(name, env))
    found = wait_for(s3, {name: ("complete.json", "failed.json") for name in ("plain", "old-cli", "fifo")})
    assert found == {"plain": "complete.json", "old-cli": "complete.json", "fifo": "failed.json"}

    complete = marker(s3, "plain", "complete.json")
    assert (complete["files"], complete["bytes"], complete["links"]) == (4, 256 * 300 + 13 + 18, 1)
    assert complete["checksum_algorithm"] == "SHA256" and complete["execution"] == "plain"
    manifest = (s3 / "backup-bucket/backups/lab/plain/manifest.jsonl").read_bytes()
    assert complete["manifest_sha256"] == hashlib.sha256(manifest).hexdigest()
    _, entries = ngdata.parse_manifest(manifest)
    assert {e["path"] for e in entries} == set(tree(volume))  # lost+found left out, the link recorded
    data = s3 / "backup-bucket/backups/lab/plain/data"
    assert not list(data.glob("lost+found*")) and not (data / "latest").exists()  # a link is not followed
    assert marker(s3, "old-cli", "complete.json")["checksum_algorithm"] is None
    assert "exited with code 2" in marker(s3, "fifo", "failed.json")["reason"]
    log = Path(values(volumes["denied"], "denied").work) / "backup.log"
    assert "cannot write" in log.read_text() and not (s3 / "backup-bucket/backups/lab/denied").exists()


def test_the_restore_script_gives_back_an_identical_volume_or_says_why_not(place):
    tmp, volume, s3, env = place
    before = tree(volume)
    for name in ("good", "tampered"):
        launch(templates.backup_script(values(copy_volume(volume, tmp / f"{name}-original"), name)), env)
    assert wait_for(s3, {"good": ("complete.json",), "tampered": ("complete.json",)}) == {
        "good": "complete.json",
        "tampered": "complete.json",
    }
    stored = s3 / "backup-bucket/backups/lab/tampered/data/project/data/weights.bin"
    stored.write_bytes(b"\xff" + stored.read_bytes()[1:])  # same size, other content
    for name in ("good", "tampered"):
        (tmp / f"{name}-new" / "lost+found").mkdir(parents=True)
        launch(templates.restore_script(values(tmp / f"{name}-new", name)), env, flag_dir=tmp)
    found = wait_for(s3, {name: ("restored.json", "restore-failed.json") for name in ("good", "tampered")})
    assert found == {"good": "restored.json", "tampered": "restore-failed.json"}
    result = marker(s3, "good", "restored.json")
    assert result["verified"] is True and result["files"] == 4 and result["problem_count"] == 0
    assert tree(tmp / "good-new") == before
    assert not (tmp / "notebook-guard-restoring-good").exists()  # the original OnStart runs from the next start
    reason = marker(s3, "tampered", "restore-failed.json")["reason"]
    assert "project/data/weights.bin differs from the backup (SHA-256)" in reason


def test_values_are_quoted_and_checked():
    script = templates.backup_script(templates.Values("backup-bucket", "backups/a/b/", "us-east-1", "e-1"))
    assert "NG_BUCKET=backup-bucket\n" in script and "NG_PREFIX=backups/a/b/\n" in script
    quoted = templates.backup_script(templates.Values("backup-bucket", "backups/it's/b/", "us-east-1", "e-1"))
    assert "NG_PREFIX='backups/it'\"'\"'s/b/'" in quoted  # shlex.quote: a value cannot end the assignment
    for bad in (
        templates.Values("Bad_Bucket", "backups/a/b/", "us-east-1", "e"),
        templates.Values("backup-bucket", "backups/$(reboot)/", "us-east-1", "e"),
        templates.Values("backup-bucket", "backups/a/b", "us-east-1", "e"),
        templates.Values("backup-bucket", "backups/../b/", "us-east-1", "e"),
        templates.Values("backup-bucket", "backups/a/b/", "us-east-1; reboot", "e"),
        templates.Values("backup-bucket", "backups/a/b/", "us-east-1", "e;x"),
    ):
        with pytest.raises(templates.TemplateError):
            templates.backup_script(bad)


def test_the_scripts_fit_the_limit_carry_their_header_and_need_no_internet():
    original = {"OnStart": [{"Content": base64.b64encode(b"#!/bin/bash\npip install pandas\n").decode()}]}
    values_ = templates.Values("backup-bucket", "backups/" + "n" * 63 + "/" + "e" * 80 + "/", "us-east-1", "e" * 80)
    backup = templates.backup_configuration("ng-backup-0123456789abcdef", values_)
    restore = templates.restore_configuration("ng-restore-0123456789abcdef", values_, original)
    for content in (backup.on_start, restore.on_create):
        assert len(content) <= templates.SCRIPT_LIMIT
        header = templates.header_of(content)
        assert header["bucket"] == "backup-bucket" and header["execution"] == "e" * 80
        decoded = base64.b64decode(content).decode()
        assert "nohup bash" in decoded and decoded.rstrip().endswith("exit 0")
    for name, configuration in (("ng-backup-x", backup), ("ng-restore-x", restore)):
        hooks = {"OnCreate": [{"Content": configuration.on_create}]} if configuration.on_create else {}
        if configuration.on_start and configuration is backup:
            hooks["OnStart"] = [{"Content": configuration.on_start}]
        need = internet.analyse(name, hooks, [])
        assert need.evidence == [], [e.line() for e in need.evidence]
    # The restore configuration's OnStart is the original's, skipped during the restore's first boot.
    guarded = base64.b64decode(restore.on_start).decode()
    assert guarded.startswith("#!/bin/bash\n") and "pip install pandas" in guarded
    assert "if [ -e /run/notebook-guard-restoring-" in guarded


def test_an_original_on_start_that_cannot_take_the_guard_is_kept_as_it_is():
    values_ = templates.Values("backup-bucket", "backups/a/b/", "us-east-1", "e")
    python = base64.b64encode(b"#!/usr/bin/env python3\nprint('hi')\n").decode()
    assert templates.guarded_on_start(python, values_) == python
    huge = base64.b64encode(b"#!/bin/bash\n" + b"#" * 12200 + b"\n").decode()
    assert len(huge) <= templates.SCRIPT_LIMIT and templates.guarded_on_start(huge, values_) == huge
    assert templates.guarded_on_start(None, values_) is None


def test_the_data_tool_runs_on_python_3_7_syntax():
    """The notebooks' python3 is Amazon Linux 2's 3.7: the embedded tool must parse with 3.7's grammar."""
    import ast

    source = templates.tool_source().decode()
    ast.parse(source, feature_version=(3, 7))
    assert "boto3" not in source  # the notebook's system python has only the standard library

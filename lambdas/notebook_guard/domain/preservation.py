"""Data preservation: whether a notebook's storage volume is backed up before the recreate, and how its backup is
named, granted, bounded and verified. Pure.

Deleting a notebook destroys ``/home/ec2-user/SageMaker``. With preservation, the workflow attaches a per-execution
lifecycle configuration (``ng-backup-<hash>``) whose OnStart copies the volume to the backup bucket under the
execution's prefix, verifies it and writes a completion marker; the replacement is created with ``ng-restore-<hash>``
whose OnCreate copies it back and verifies every file's SHA-256 against the manifest (``lifecycle/``).

``data_preservation``: ``auto`` backs up every notebook except one caught at creation (created at most
``restart_window_seconds`` before the execution started: nobody has used it yet); ``always``; ``never``.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass
from datetime import datetime

from notebook_guard.lifecycle import ngdata

AUTO, ALWAYS, NEVER = "auto", "always", "never"
MODES = (AUTO, ALWAYS, NEVER)
# Every lifecycle configuration notebook-guard creates starts with one of these; its IAM grants are scoped to them.
BACKUP_CONFIG = "ng-backup-"
RESTORE_CONFIG = "ng-restore-"
CONFIG_PREFIXES = (BACKUP_CONFIG, RESTORE_CONFIG)
SID_PREFIX = "NotebookGuardBackup"  # bucket policy statements the workflow adds and removes
# Markers the scripts write under the execution's prefix.
STARTED, COMPLETE, FAILED = "started.json", "complete.json", "failed.json"
RESTORED, RESTORE_FAILED = "restored.json", "restore-failed.json"
MANIFEST = "manifest.jsonl"
DATA = "data/"
# What the notebook's execution role may do under its prefix (the scripts' calls): upload and list for the backup,
# download for the restore. Nothing else, nowhere else, and never delete.
OBJECT_ACTIONS = ("s3:PutObject", "s3:GetObject")
LIST_ACTION = "s3:ListBucket"
# What the grant on the backup key lets that role do (SSE-KMS: uploads need a data key, downloads and multipart
# uploads decrypt it; Amazon S3 User Guide, "Using server-side encryption with AWS KMS keys", permissions).
GRANT_OPERATIONS = ("GenerateDataKey", "Decrypt")


@dataclass(frozen=True)
class Decision:
    wanted: bool
    mode: str
    why: str

    def to_dict(self) -> dict:
        return asdict(self)


def _seconds_between(earlier: str | None, later: str | None) -> float | None:
    try:
        return (datetime.fromisoformat(str(later)) - datetime.fromisoformat(str(earlier))).total_seconds()
    except (TypeError, ValueError):
        return None


def decide(mode: str, creation_time: str | None, started_at: str | None, window_seconds: int) -> Decision:
    """Whether this execution backs up the notebook's volume. Measured from the execution's start, so every step
    that asks (Evaluate, Delete) gets the same answer."""
    if mode not in MODES:
        raise ValueError(f"data_preservation {mode!r} is not one of {', '.join(MODES)}")
    if mode == NEVER:
        return Decision(False, mode, "data_preservation is never: the storage volume is not backed up")
    if mode == ALWAYS:
        return Decision(True, mode, "data_preservation is always")
    age = _seconds_between(creation_time, started_at)
    if age is not None and age <= window_seconds:
        return Decision(
            False,
            mode,
            f"caught at creation ({int(age)} s old, within the restart window of {window_seconds} s): nothing to "
            "back up",
        )
    return Decision(True, mode, "the notebook existed before this execution: its storage volume is backed up")


def _digest(execution_name: str) -> str:
    return hashlib.sha256(execution_name.encode()).hexdigest()[:16]


def backup_config_name(execution_name: str) -> str:
    return BACKUP_CONFIG + _digest(execution_name)


def restore_config_name(execution_name: str) -> str:
    return RESTORE_CONFIG + _digest(execution_name)


def is_ours(config_name: str | None) -> bool:
    return bool(config_name) and str(config_name).startswith(CONFIG_PREFIXES)


def statement_sid(execution_name: str) -> str:
    return SID_PREFIX + _digest(execution_name)


def backup_prefix(root: str, notebook_name: str, execution_name: str) -> str:
    return f"{root.strip('/')}/{notebook_name}/{execution_name}/"


def bound_seconds(volume_gb: int | None, throughput_mb_per_second: int, fixed_seconds: int) -> int:
    """How long a copy of the volume may take before the workflow gives up: a fixed part (start, scan, markers) and
    the whole volume at the assumed throughput (the volume's size, not its use: an upper bound known beforehand)."""
    size_mb = max(int(volume_gb or 5), 1) * 1024
    return fixed_seconds + math.ceil(size_mb / max(throughput_mb_per_second, 1))


# The stops, starts and updates data preservation adds to a remediation, on the simulated timeline of `make bench`
# (an existing notebook: starting 5 min, stopping 2 min, updating 1 min; the waits answered by SageMaker's events, the
# backup's and restore's marker waits polled on the default schedule): backup configuration attached, started,
# stopped, own configuration put back; the replacement stopped, put back, started again. 19 min 7 s; the copies come
# on top (``expected_extra_seconds``). tests/integration/test_bench_smoke.py checks the bench still measures it.
FIXED_EXTRA_SECONDS = 1147


def expected_extra_seconds(volume_gb: int | None, throughput_mb_per_second: int) -> int:
    """What data preservation adds to a remediation of a full volume: the fixed operations and two copies."""
    size_mb = max(int(volume_gb or 5), 1) * 1024
    return FIXED_EXTRA_SECONDS + 2 * math.ceil(size_mb / max(throughput_mb_per_second, 1))


# --- The bucket policy statements that let the notebook's execution role reach its own prefix ---------------------


def access_statements(sid: str, role_arn: str, bucket_arn: str, prefix: str) -> list[dict]:
    """Same-account resource policy statements for one execution: the role (a fixed principal, which S3's Block
    Public Access does not count as public) may put and get objects under the prefix and list it."""
    principal = {"AWS": role_arn}
    return [
        {
            "Sid": f"{sid}Objects",
            "Effect": "Allow",
            "Principal": principal,
            "Action": list(OBJECT_ACTIONS),
            "Resource": f"{bucket_arn}/{prefix}*",
        },
        {
            "Sid": f"{sid}List",
            "Effect": "Allow",
            "Principal": principal,
            "Action": LIST_ACTION,
            "Resource": bucket_arn,
            "Condition": {"StringLike": {"s3:prefix": [f"{prefix}*"]}},
        },
    ]


def with_statements(policy_text: str | None, sid: str, statements: list[dict]) -> str:
    """The bucket policy with this execution's statements (replacing any it had), every other statement kept."""
    document = json.loads(policy_text) if policy_text else {"Version": "2012-10-17", "Statement": []}
    kept = [s for s in document.get("Statement", []) if not str(s.get("Sid", "")).startswith(sid)]
    document["Statement"] = kept + statements
    return json.dumps(document, sort_keys=True)


def without_statements(policy_text: str | None, sid: str) -> str | None:
    """The bucket policy without this execution's statements (None: nothing to change)."""
    if not policy_text:
        return None
    document = json.loads(policy_text)
    kept = [s for s in document.get("Statement", []) if not str(s.get("Sid", "")).startswith(sid)]
    if len(kept) == len(document.get("Statement", [])):
        return None
    document["Statement"] = kept
    return json.dumps(document, sort_keys=True)


def has_statements(policy_text: str | None, statements: list[dict]) -> bool:
    document = json.loads(policy_text) if policy_text else {}
    present = document.get("Statement", [])
    return all(statement in present for statement in statements)


# --- What the scripts wrote, and whether it can be trusted ----------------------------------------------------------


@dataclass(frozen=True)
class Verified:
    files: int
    bytes: int
    directories: int
    links: int
    manifest_sha256: str

    def to_dict(self) -> dict:
        return asdict(self)


def verify_backup(complete: dict, manifest: bytes, listing: dict[str, int], data_prefix: str) -> tuple[Verified, list]:
    """Check the completion marker, the manifest and the uploaded objects against each other: the manifest's SHA-256
    is the marker's, its counts are the marker's, every file has an object of its size. (Each file's content is
    checked against its SHA-256 by the restore, on the notebook, where the bytes are.)"""
    problems = []
    digest = hashlib.sha256(manifest).hexdigest()
    if complete.get("manifest_sha256") != digest:
        problems.append("the manifest's SHA-256 is not the one in the completion marker")
    try:
        _, entries = ngdata.parse_manifest(manifest)
    except ngdata.Refused as error:
        return Verified(0, 0, 0, 0, digest), [*problems, str(error)]
    summary = ngdata.summary_of(entries)
    for key in ("files", "bytes"):
        if complete.get(key) != summary[key]:
            problems.append(f"the completion marker counts {complete.get(key)} {key}, the manifest {summary[key]}")
    problems += ngdata.listing_problems(entries, listing, data_prefix)
    verified = Verified(summary["files"], summary["bytes"], summary["directories"], summary["links"], digest)
    return verified, problems


def human_bytes(count: int) -> str:
    size = float(count)
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{int(size)} bytes" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{count} bytes"

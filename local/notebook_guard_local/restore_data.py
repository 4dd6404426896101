"""``notebook-guard restore SNAPSHOT --data s3://BUCKET/backups/NAME/EXECUTION/``: recreate the notebook with its data.

What the workflow does for a restore, done by a person's credentials: the backup is verified first (completion
marker, manifest, every file's object), then the notebook's execution role is given access to that backup only (two
bucket policy statements and a KMS grant on the backup key, which the caller revokes afterwards), a restore lifecycle
configuration of notebook-guard's is created from the package's template (OnCreate: copy the data back and verify
every file against the manifest; OnStart: the notebook's own, from the snapshot), and the notebook is created with
it. By default it waits for the restore's marker, then revokes the grant and removes the bucket
statements; the restore configuration stays attached (its OnStart is the notebook's own), and the command prints how
to put the notebook's own configuration back and delete ours.

The caller's changes to the bucket policy are not coordinated with running workflows (the workflow serialises its own
under a lock in the coordination table): avoid restoring while remediations run.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field

from notebook_guard.aws import kms, s3, sagemaker
from notebook_guard.domain import preservation
from notebook_guard.lifecycle import templates
from notebook_guard_local.aws_access import CommandError

POLL_SECONDS = 15


@dataclass
class DataRestore:
    """What ``prepare_data_restore`` set up, for the create request and the clean-up."""

    restore_id: str  # the restore's markers carry it as their "execution"
    bucket: str
    prefix: str
    key_arn: str
    role_arn: str
    config: str
    sid: str
    grant_id: str
    files: int
    bytes: int
    bound_seconds: int
    marker: str | None = None  # restored.json / restore-failed.json, once waited for
    result: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items()}


def parse_data_uri(uri: str) -> tuple[str, str]:
    try:
        bucket, prefix = s3.parse_s3_uri(uri)
    except ValueError as error:
        raise CommandError(str(error)) from None
    return bucket, prefix.rstrip("/") + "/"


def verify(bucket: str, prefix: str, region: str) -> tuple[dict, preservation.Verified]:
    """The backup as the workflow verified it: complete marker, its manifest, every file's object."""
    found = s3.get_latest(bucket, prefix + preservation.COMPLETE, region)
    if found is None:
        failed = s3.get_latest(bucket, prefix + preservation.FAILED, region)
        why = f" (the backup failed: {json.loads(failed[0]).get('reason')})" if failed else ""
        raise CommandError(f"no complete backup at s3://{bucket}/{prefix}{why}")
    complete = json.loads(found[0])
    manifest = s3.get_latest(bucket, prefix + preservation.MANIFEST, region)
    if manifest is None:
        raise CommandError(f"s3://{bucket}/{prefix} has a completion marker but no manifest")
    listing = s3.object_sizes(bucket, prefix + preservation.DATA, region)
    verified, problems = preservation.verify_backup(complete, manifest[0], listing, prefix + preservation.DATA)
    if problems:
        raise CommandError(f"the backup at s3://{bucket}/{prefix} cannot be trusted: " + "; ".join(problems[:5]))
    return complete, verified


def prepare_data_restore(data_uri: str, document: dict, request: dict, region: str) -> DataRestore:
    """Verify the backup, give the notebook's role access to it, create the restore configuration; the request is
    then sent with ``LifecycleConfigName`` set to it."""
    bucket, prefix = parse_data_uri(data_uri)
    _, verified = verify(bucket, prefix, region)
    key_arn = s3.default_kms_key(bucket, region)
    if not key_arn:
        raise CommandError(f"bucket {bucket} is not encrypted with a KMS key: not a notebook-guard backup bucket")
    restore_id = "restore-" + hashlib.sha256(f"{data_uri}{time.time()}".encode()).hexdigest()[:12]
    role_arn = request["RoleArn"]
    # No retiring principal: the caller revokes it afterwards (kms:RevokeGrant), whoever the caller is.
    grant_id = kms.create_grant(key_arn, role_arn, preservation.GRANT_OPERATIONS, None, restore_id, region)
    sid = preservation.statement_sid(restore_id)
    config = preservation.restore_config_name(restore_id)
    bound = preservation.bound_seconds(request.get("VolumeSizeInGB"), 25, 900)
    restore = DataRestore(
        restore_id, bucket, prefix, key_arn, role_arn, config, sid, grant_id, verified.files, verified.bytes, bound
    )
    try:
        partition = role_arn.split(":")[1]
        statements = preservation.access_statements(sid, role_arn, f"arn:{partition}:s3:::{bucket}", prefix)
        policy = s3.get_bucket_policy(bucket, region)
        s3.put_bucket_policy(bucket, preservation.with_statements(policy, sid, statements), region)
        values = templates.Values(bucket, prefix, region, restore_id)
        configuration = templates.restore_configuration(config, values, document.get("lifecycle_config"))
        sagemaker.create_lifecycle_config(configuration.request(), region)
    except Exception:
        take_back(restore, region)
        raise
    return restore


def take_back(restore: DataRestore, region: str) -> None:
    """Revoke the grant and remove the bucket statements this restore added (either may be absent already)."""
    kms.revoke_grant(restore.key_arn, restore.grant_id, region)
    changed = preservation.without_statements(s3.get_bucket_policy(restore.bucket, region), restore.sid)
    if changed is not None:
        s3.put_bucket_policy(restore.bucket, changed, region)


def wait_and_clean(restore: DataRestore, name: str, region: str, sleep=time.sleep, clock=time.monotonic) -> None:
    """Wait for the restore's marker (within its bound), then revoke the grant and remove the bucket statements.

    Only a marker of this restore counts: the prefix may hold the restore-failed.json of the workflow's own attempt,
    the very failure that brought the operator here."""
    deadline = clock() + restore.bound_seconds
    try:
        while clock() < deadline:
            sagemaker.describe_notebook(name, region)  # the notebook's state, for the log of a person watching
            for marker in (preservation.RESTORED, preservation.RESTORE_FAILED):
                found = s3.get_latest(restore.bucket, restore.prefix + marker, region)
                written = json.loads(found[0]) if found is not None else {}
                if written.get("execution") == restore.restore_id:
                    restore.marker, restore.result = marker, written
                    return
            sleep(POLL_SECONDS)
    finally:
        take_back(restore, region)


def summary(restore: DataRestore, name: str, original_config: str | None) -> list[str]:
    lines = [
        f"  data: s3://{restore.bucket}/{restore.prefix} ({restore.files} files, "
        f"{preservation.human_bytes(restore.bytes)}), restored by lifecycle configuration {restore.config}",
    ]
    if restore.marker == preservation.RESTORED:
        lines.append(f"  restore verified: {restore.result.get('files')} files match the backup's manifest (SHA-256)")
    elif restore.marker == preservation.RESTORE_FAILED:
        lines.append(f"  RESTORE FAILED: {restore.result.get('reason')}")
    elif restore.marker is None and restore.result == {}:
        lines.append(f"  follow s3://{restore.bucket}/{restore.prefix}{preservation.RESTORED} (or restore-failed.json)")
    put_back = f"--lifecycle-config-name {original_config}" if original_config else "--disassociate-lifecycle-config"
    lines.append(
        f"  then, once it is Stopped: aws sagemaker update-notebook-instance --notebook-instance-name {name} "
        f"{put_back} && aws sagemaker delete-notebook-instance-lifecycle-config "
        f"--notebook-instance-lifecycle-config-name {restore.config}"
    )
    return lines

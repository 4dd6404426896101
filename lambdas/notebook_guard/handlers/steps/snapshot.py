"""Snapshot: Describe + all tags + lifecycle scripts + the planned create request, written to S3, read back."""

from __future__ import annotations

import json

from notebook_guard.aws import dynamodb, s3, sagemaker
from notebook_guard.domain.errors import NotebookChanged, SnapshotMismatch, SnapshotMissing
from notebook_guard.domain.recreate import (
    Target,
    build_snapshot,
    checksum,
    encode_snapshot,
    plan_create_request,
    snapshot_key,
    snapshot_problems,
)
from notebook_guard.handlers.steps.common import creation_time_of, describe_same_notebook, now_iso, record_id, step
from notebook_guard.settings import Settings, get_settings


def target_of(settings: Settings) -> Target:
    return Target(
        subnet_id=settings.target_subnet_ids[0] if settings.target_subnet_ids else "",
        security_group_ids=settings.target_security_group_ids,
        root_access=settings.target_root_access,
    )


@step
def handler(document: dict) -> dict:
    settings = get_settings()
    if not settings.snapshot_bucket:
        raise SnapshotMissing("NG_SNAPSHOT_BUCKET is not set: no snapshot can be taken, nothing will be changed")
    name = document["notebook_name"]
    describe = describe_same_notebook(document, settings.region)
    if describe is None:
        raise NotebookChanged(f"notebook {name} disappeared before its snapshot was taken")
    tags = sagemaker.list_tags(describe["NotebookInstanceArn"], settings.region)
    lifecycle_name = describe.get("NotebookInstanceLifecycleConfigName")
    lifecycle = sagemaker.describe_lifecycle_config(lifecycle_name, settings.region) if lifecycle_name else None

    taken_at = now_iso()
    key = snapshot_key(name, taken_at, settings.snapshot_prefix)
    uri = s3.s3_uri(settings.snapshot_bucket, key)
    plan = plan_create_request(describe, tags, target_of(settings), taken_at, uri)
    snapshot = build_snapshot(describe, tags, lifecycle, plan, taken_at, document.get("execution_id"))
    body = encode_snapshot(snapshot)
    digest = checksum(body)
    s3.put_json(settings.snapshot_bucket, key, body, digest, settings.region)

    # Read back and verify before anything destructive may rely on it.
    read = s3.get_object(settings.snapshot_bucket, key, settings.region)
    if read is None:
        raise SnapshotMissing(f"snapshot {uri} was written but cannot be read back")
    if checksum(read) != digest:
        raise SnapshotMismatch(f"snapshot {uri} read back differs from what was written")
    problems = snapshot_problems(json.loads(read), describe["NotebookInstanceArn"], creation_time_of(describe))
    if problems:
        raise SnapshotMismatch(f"snapshot {uri}: " + "; ".join(problems))

    result = {
        "uri": uri,
        "bucket": settings.snapshot_bucket,
        "key": key,
        "sha256": digest,
        "verified": True,
        "taken_at": taken_at,
        "role_arn": describe.get("RoleArn"),
        "kms_key_id": describe.get("KmsKeyId"),
        "dropped": plan.dropped,
    }
    if settings.audit_table:
        dynamodb.put_audit_record(
            settings.audit_table,
            name,
            record_id(document, "snapshot"),
            {
                "outcome": "snapshot",
                "execution_id": document.get("execution_id"),
                "snapshot_uri": uri,
                "time": taken_at,
                "before": snapshot["notebook"],
                "sha256": digest,
            },
            settings.region,
        )
    return result

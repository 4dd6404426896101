"""Snapshots: write the notebook's document to S3, read it back by version, and read it again before acting.

Shared by the Snapshot step (the first snapshot of an execution) and the Delete step (a fresh one when the
notebook changed since). Every reader asks for the exact version that was written and checks its SHA-256, and
the audit record keeps the version, the checksum and the planned create request, so a restore works from the
object or from the audit table.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from notebook_guard.aws import ec2, s3, sagemaker
from notebook_guard.domain import network
from notebook_guard.domain.errors import SnapshotMismatch, SnapshotMissing
from notebook_guard.domain.naming import execution_name_of
from notebook_guard.domain.recreate import (
    Target,
    build_snapshot,
    checksum,
    encode_snapshot,
    plan_create_request,
    snapshot_key,
    snapshot_problems,
)
from notebook_guard.services import audit
from notebook_guard.settings import Settings


def target_of(settings: Settings, subnet_ipv6: bool | None = None) -> Target:
    return Target(
        subnet_id=settings.target_subnet_ids[0] if settings.target_subnet_ids else "",
        security_group_ids=settings.target_security_group_ids,
        root_access=settings.target_root_access,
        subnet_ipv6=subnet_ipv6,
        ip_address_type_fallback=settings.ip_address_type_fallback,
    )


def planned_target(settings: Settings, describe: dict) -> Target:
    """The target of the planned request; for a dualstack notebook, read whether the subnet has IPv6 (the plan
    decides its address type there: ``recreate.address_type_in``)."""
    subnet_ipv6 = None
    if describe.get("IpAddressType") == "dualstack" and settings.target_subnet_ids:
        found = ec2.subnets(settings.target_subnet_ids[:1], settings.region)
        subnet_ipv6 = network.has_ipv6(found[0]) if found else None
    return target_of(settings, subnet_ipv6)


def creation_time_of(describe: dict) -> str | None:
    created = describe.get("CreationTime")
    return created.isoformat() if hasattr(created, "isoformat") else created


def take(
    document: dict, describe: dict, tags: dict[str, str], settings: Settings, sequence: int = 1, why: str = ""
) -> dict:
    """Write snapshot number ``sequence`` of this execution, read it back and verify it; audit it."""
    if not settings.snapshot_bucket:
        raise SnapshotMissing("NG_SNAPSHOT_BUCKET is not set: no snapshot can be taken, nothing will be changed")
    name = describe["NotebookInstanceName"]
    lifecycle_name = describe.get("NotebookInstanceLifecycleConfigName")
    lifecycle = sagemaker.describe_lifecycle_config(lifecycle_name, settings.region) if lifecycle_name else None

    taken_at = audit.now_iso()
    execution = execution_name_of(document.get("execution_id")) or f"manual-{datetime.now(UTC):%Y%m%dT%H%M%SZ}"
    key = snapshot_key(name, execution, sequence, settings.snapshot_prefix)
    uri = s3.s3_uri(settings.snapshot_bucket, key)
    plan = plan_create_request(describe, tags, planned_target(settings, describe), taken_at, uri, execution)
    snapshot = build_snapshot(describe, tags, lifecycle, plan, taken_at, document.get("execution_id"))
    snapshot["sequence"] = sequence
    body = encode_snapshot(snapshot)
    digest = checksum(body)
    version_id = s3.put_json(settings.snapshot_bucket, key, body, digest, settings.region)

    # Read back the version just written and verify it before anything destructive may rely on it.
    read = s3.get_object(settings.snapshot_bucket, key, settings.region, version_id)
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
        "version_id": version_id,
        "sha256": digest,
        "verified": True,
        "sequence": sequence,
        "taken_at": taken_at,
        "role_arn": describe.get("RoleArn"),
        "kms_key_id": describe.get("KmsKeyId"),
        "dropped": plan.dropped,
    }
    audit.write(
        settings,
        document,
        "snapshot" if sequence == 1 else f"snapshot-{sequence}",
        {
            "outcome": "snapshot",
            "snapshot_uri": uri,
            "version_id": version_id,
            "sha256": digest,
            "sequence": sequence,
            "why": why or None,
            "before": snapshot["notebook"],
            # The request a restore sends, should the snapshot object be lost.
            "create_request": plan.request,
            "dropped": plan.dropped,
        },
    )
    return result


def read_verified(snapshot: dict, region: str) -> dict:
    """The snapshot document the execution verified: the recorded version, matching its recorded checksum."""
    if not snapshot.get("uri") or not snapshot.get("verified"):
        raise SnapshotMissing("no verified snapshot was handed to this step")
    bucket, key = s3.parse_s3_uri(snapshot["uri"])
    body = s3.get_object(bucket, key, region, snapshot.get("version_id"))
    if body is None:
        raise SnapshotMissing(
            f"snapshot {snapshot['uri']} (version {snapshot.get('version_id')}) does not exist: the execution's "
            "snapshot record in the audit table holds its create request"
        )
    if checksum(body) != snapshot.get("sha256"):
        raise SnapshotMismatch(f"snapshot {snapshot['uri']} does not match its recorded checksum")
    return json.loads(body)

"""``restore SNAPSHOT``: recreate a notebook from the snapshot a remediation wrote before deleting it.

A snapshot is read from S3 (``s3://bucket/key``, or a key with ``--bucket``) or from a local file (what
``demo --keep-snapshots DIR`` writes), verified (schema, the checksum it was written with, a complete create
request), and its create request sent again, as remediated or with the original network, under its own name
or another. Only the configuration comes back: the storage volume of a deleted notebook is gone.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from notebook_guard.aws import s3, sagemaker
from notebook_guard.domain import workflow
from notebook_guard.domain.recreate import (
    EXECUTION_TAG,
    NETWORK_FIELDS,
    REMEDIATED_AT_TAG,
    SNAPSHOT_SCHEMA,
    checksum,
    snapshot_problems,
)
from notebook_guard.settings import Settings
from notebook_guard_local.aws_access import resolve_region
from notebook_guard_local.planning import OperationError, run_preflight

CHECKSUM_SUFFIX = ".sha256"  # beside a local snapshot: the sha256 the workflow wrote it with (sha256sum's format)
NOTEBOOK_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")  # CreateNotebookInstance's pattern


@dataclass
class RestoreOptions:
    bucket: str | None = None
    version_id: str | None = None  # the version the workflow verified (alerts and audit records name it)
    original_network: bool = False
    dry_run: bool = False
    region: str | None = None
    new_name: str | None = None
    offline: bool = False  # --dry-run of a local file only: check nothing in the account


@dataclass
class RestoreResult:
    notebook_name: str
    snapshot: str
    request: dict
    arn: str | None
    network: str  # "as remediated" | "original"
    dry_run: bool
    region: str | None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "notebook_name": self.notebook_name,
            "snapshot": self.snapshot,
            "region": self.region,
            "network": self.network,
            "dry_run": self.dry_run,
            "arn": self.arn,
            "notes": self.notes,
            "request": self.request,
        }


@dataclass
class SnapshotSource:
    """Where a snapshot is: an S3 object or a local file."""

    bucket: str | None = None
    key: str | None = None
    path: Path | None = None
    version_id: str | None = None

    @property
    def name(self) -> str:
        return str(self.path) if self.path else s3.s3_uri(self.bucket, self.key)


def snapshot_source(reference: str, bucket: str | None, version_id: str | None = None) -> SnapshotSource:
    """``s3://bucket/key``; a key with ``--bucket``; else a local file."""
    if reference.startswith("s3://"):
        try:
            found_bucket, key = s3.parse_s3_uri(reference)
        except ValueError as error:
            raise OperationError(str(error)) from None
        return SnapshotSource(bucket=found_bucket, key=key, version_id=version_id)
    if bucket:
        return SnapshotSource(bucket=bucket, key=reference.lstrip("/"), version_id=version_id)
    path = Path(reference)
    if path.is_file():
        if version_id:
            raise OperationError("--version-id names an S3 object version: not for a local file")
        return SnapshotSource(path=path)
    raise OperationError(f"no file {reference!r}: give a local snapshot file, s3://bucket/key, or a key with --bucket")


def read_bytes(source: SnapshotSource, region: str | None) -> tuple[bytes, str | None]:
    """The snapshot's bytes and the checksum it was written with (when known)."""
    if source.path is not None:
        body = source.path.read_bytes()
        sidecar = source.path.with_name(source.path.name + CHECKSUM_SUFFIX)
        written = sidecar.read_text().split()[0] if sidecar.is_file() and sidecar.read_text().strip() else None
        return body, written
    from notebook_guard.aws import clients

    client = clients.client("s3", region)
    try:
        version = {"VersionId": source.version_id} if source.version_id else {}
        response = client.get_object(Bucket=source.bucket, Key=source.key, **version)
    except client.exceptions.NoSuchKey:
        raise OperationError(f"no snapshot at {source.name}") from None
    except client.exceptions.NoSuchBucket:
        raise OperationError(f"no bucket {source.bucket!r}") from None
    return response["Body"].read(), (response.get("Metadata") or {}).get("sha256")


def read_snapshot(source: SnapshotSource, region: str | None) -> dict:
    """The snapshot document, verified: readable, our schema, checksum as written, a complete create request."""
    body, written = read_bytes(source, region)
    if written and written != checksum(body):
        raise OperationError(f"{source.name} does not match the checksum it was written with")
    try:
        document = json.loads(body)
    except ValueError:
        raise OperationError(f"{source.name} is not JSON") from None
    if not isinstance(document, dict) or document.get("schema") != SNAPSHOT_SCHEMA:
        raise OperationError(f"{source.name} is not a notebook-guard snapshot")
    notebook = document.get("notebook") or {}
    problems = snapshot_problems(document, notebook.get("arn"), None, restorable=True)
    if problems:
        raise OperationError(f"{source.name}: " + "; ".join(problems))
    return document


def original_request(document: dict) -> dict:
    """The planned request with the network and root access the notebook had before the remediation."""
    describe = document.get("describe") or {}
    request = {k: v for k, v in document["create_request"].items() if k not in (*NETWORK_FIELDS, "RootAccess")}
    if describe.get("SubnetId"):
        request["SubnetId"] = describe["SubnetId"]
        request["SecurityGroupIds"] = list(describe.get("SecurityGroups") or [])
    if describe.get("DirectInternetAccess"):
        request["DirectInternetAccess"] = describe["DirectInternetAccess"]
    if describe.get("RootAccess"):
        request["RootAccess"] = describe["RootAccess"]
    request["Tags"] = [t for t in request.get("Tags", []) if t["Key"] not in (REMEDIATED_AT_TAG, EXECUTION_TAG)]
    return request


def restore_from_snapshot(reference: str, options: RestoreOptions) -> RestoreResult:
    """Recreate the notebook from its snapshot; refuses when a notebook of that name exists (a dry run says so)."""
    source = snapshot_source(reference, options.bucket, options.version_id)
    if options.offline and not (options.dry_run and source.path is not None):
        raise OperationError("--offline checks a local snapshot file only: use it with --dry-run and a file path")
    region = None if options.offline else resolve_region(options.region)
    document = read_snapshot(source, region)
    request = original_request(document) if options.original_network else dict(document["create_request"])
    if options.new_name:
        if not NOTEBOOK_NAME.fullmatch(options.new_name):
            raise OperationError(
                f"invalid notebook name {options.new_name!r}: 1-63 letters, digits and hyphens, "
                "starting and ending with a letter or digit"
            )
        request["NotebookInstanceName"] = options.new_name
    name = request["NotebookInstanceName"]
    result = RestoreResult(
        notebook_name=name,
        snapshot=source.name,
        request=request,
        arn=None,
        network="original" if options.original_network else "as remediated",
        dry_run=options.dry_run,
        region=region,
    )
    if options.offline:
        result.notes.append("offline: the snapshot was verified; nothing was checked in an AWS account")
        return result
    existing = sagemaker.describe_notebook(name, region)
    if existing is not None:
        status = existing.get("NotebookInstanceStatus")
        if not options.dry_run:
            raise OperationError(
                f"refusing to restore: a notebook named {name} exists ({status}); delete it first, "
                "or restore under another name with --name NEW"
            )
        result.notes.append(
            f"a notebook named {name} exists ({status}): a restore would be refused; use --name NEW or delete it"
        )
    settings = Settings(region=region, required_endpoints=())
    checked = run_preflight(  # role and key only (the key's policy concerns the workflow's roles, not the operator)
        settings,
        workflow.ROOT_ACCESS,
        {"RoleArn": request.get("RoleArn"), "KmsKeyId": request.get("KmsKeyId")},
        key_policy=False,
    )
    problems = checked["problems"] + dualstack_problems(request, region)
    if problems:
        raise OperationError("cannot restore: " + "; ".join(problems))
    if not options.dry_run:
        result.arn = sagemaker.create_notebook(request, region)
    return result


def dualstack_problems(request: dict, region: str) -> list[str]:
    """A dualstack request into a subnet without IPv6 fails: refuse it rather than replay it (the workflow's snapshot
    already decided the address type for its subnet; this catches a subnet changed since)."""
    from notebook_guard.aws import ec2
    from notebook_guard.domain import network

    if request.get("IpAddressType") != "dualstack" or not request.get("SubnetId"):
        return []
    found = ec2.subnets((request["SubnetId"],), region)
    if found and not network.has_ipv6(found[0]):
        return [
            f"the request is dualstack and subnet {request['SubnetId']} has no IPv6 CIDR block: CreateNotebookInstance "
            "would fail (add an IPv6 block to the subnet, or edit IpAddressType to ipv4 in the request)"
        ]
    return []

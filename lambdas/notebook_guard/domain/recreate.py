"""The snapshot document and the CreateNotebookInstance request planned from it.

Pure: shared by the workflow's Snapshot/Create steps and the ``notebook-guard restore SNAPSHOT`` command.
Which fields are copied, renamed or dropped follows ``aws-facts.md`` ("Recreating faithfully").
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from notebook_guard import TAG_PREFIX

SNAPSHOT_SCHEMA = "notebook-guard/snapshot"
SNAPSHOT_SCHEMA_VERSION = "1.0"
REMEDIATED_AT_TAG = f"{TAG_PREFIX}remediated-at"
SNAPSHOT_TAG = f"{TAG_PREFIX}snapshot"
RESERVED_TAG_PREFIX = "aws:"
MAX_TAGS = 50  # SageMaker's limit per resource

# Describe field -> Create field, copied as they are.
COPIED_FIELDS = {
    "InstanceType": "InstanceType",
    "RoleArn": "RoleArn",
    "KmsKeyId": "KmsKeyId",
    "VolumeSizeInGB": "VolumeSizeInGB",
    "NotebookInstanceLifecycleConfigName": "LifecycleConfigName",
    "DefaultCodeRepository": "DefaultCodeRepository",
    "AdditionalCodeRepositories": "AdditionalCodeRepositories",
    "PlatformIdentifier": "PlatformIdentifier",
    "InstanceMetadataServiceConfiguration": "InstanceMetadataServiceConfiguration",
    "IpAddressType": "IpAddressType",
}
# Fields the recreated notebook gets from the target instead of the original.
NETWORK_FIELDS = ("SubnetId", "SecurityGroupIds", "DirectInternetAccess")


@dataclass(frozen=True)
class Target:
    """Where and how the notebook is recreated."""

    subnet_id: str
    security_group_ids: tuple[str, ...]
    root_access: str = "Disabled"  # "Disabled" | "Enabled"
    direct_internet_access: str = "Disabled"


@dataclass
class CreatePlan:
    request: dict
    dropped: list[str] = field(default_factory=list)  # what could not be carried over, in words

    def to_dict(self) -> dict:
        return {"request": self.request, "dropped": self.dropped}


def plan_create_request(
    describe: dict, tags: dict[str, str], target: Target, remediated_at: str, snapshot_uri: str
) -> CreatePlan:
    """The CreateNotebookInstance request that brings the notebook back in the target network."""
    request: dict = {"NotebookInstanceName": describe["NotebookInstanceName"]}
    for source, destination in COPIED_FIELDS.items():
        value = describe.get(source)
        if value not in (None, "", []):
            request[destination] = value
    dropped: list[str] = []
    if describe.get("AcceleratorTypes"):
        dropped.append(
            f"AcceleratorTypes {describe['AcceleratorTypes']}: Elastic Inference is no longer supported by AWS"
        )
    request["SubnetId"] = target.subnet_id
    request["SecurityGroupIds"] = list(target.security_group_ids)
    request["DirectInternetAccess"] = target.direct_internet_access
    request["RootAccess"] = target.root_access

    kept = {k: v for k, v in tags.items() if not k.startswith(RESERVED_TAG_PREFIX)}
    reserved = sorted(k for k in tags if k.startswith(RESERVED_TAG_PREFIX))
    if reserved:
        dropped.append(
            f"tags {reserved}: keys starting with 'aws:' are reserved and rejected on create; a notebook "
            "owned by CloudFormation or Service Catalog drifts from its stack once recreated outside it"
        )
    kept = {k: v for k, v in kept.items() if k not in (REMEDIATED_AT_TAG, SNAPSHOT_TAG)}
    ours = {REMEDIATED_AT_TAG: remediated_at, SNAPSHOT_TAG: snapshot_uri[:256]}
    room = MAX_TAGS - len(ours)
    if len(kept) > room:
        overflow = sorted(kept)[room:]
        dropped.append(
            f"tags {overflow}: over SageMaker's limit of {MAX_TAGS} tags once the remediation tags are added"
        )
        kept = {k: kept[k] for k in sorted(kept)[:room]}
    request["Tags"] = [{"Key": k, "Value": v} for k, v in {**kept, **ours}.items()]
    return CreatePlan(request=request, dropped=dropped)


def snapshot_key(notebook_name: str, taken_at: str, prefix: str = "snapshots") -> str:
    """One key per notebook and time; the timestamp sorts lexically."""
    stamp = taken_at.replace(":", "").replace("-", "")
    return f"{prefix}/{notebook_name}/{stamp}.json"


def build_snapshot(
    describe: dict,
    tags: dict[str, str],
    lifecycle_config: dict | None,
    plan: CreatePlan,
    taken_at: str,
    execution_id: str | None,
) -> dict:
    """The self-describing snapshot document (what ``notebook-guard restore`` reads)."""
    return {
        "schema": SNAPSHOT_SCHEMA,
        "schema_version": SNAPSHOT_SCHEMA_VERSION,
        "taken_at": taken_at,
        "execution_id": execution_id,
        "notebook": {
            "name": describe["NotebookInstanceName"],
            "arn": describe["NotebookInstanceArn"],
            "creation_time": _iso(describe.get("CreationTime")),
            "status": describe.get("NotebookInstanceStatus"),
        },
        "describe": describe,
        "tags": tags,
        "lifecycle_config": lifecycle_config,
        "create_request": plan.request,
        "dropped": plan.dropped,
    }


def encode_snapshot(document: dict) -> bytes:
    return json.dumps(document, indent=2, sort_keys=True, default=_iso).encode()


def checksum(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def snapshot_problems(
    document: dict, notebook_arn: str, creation_time: str | None, restorable: bool = False
) -> list[str]:
    """Why a snapshot document cannot be trusted for this notebook (empty: it can).

    ``restorable``: also require a complete create request (what a delete must be able to rely on).
    """
    problems = []
    if document.get("schema") != SNAPSHOT_SCHEMA:
        problems.append(f"schema is {document.get('schema')!r}, expected {SNAPSHOT_SCHEMA!r}")
    notebook = document.get("notebook") or {}
    if notebook.get("arn") != notebook_arn:
        problems.append(f"snapshot is of {notebook.get('arn')!r}, not {notebook_arn!r}")
    if creation_time and notebook.get("creation_time") != creation_time:
        problems.append(
            f"snapshot is of the notebook created at {notebook.get('creation_time')}, the current one was "
            f"created at {creation_time}"
        )
    request = document.get("create_request") or {}
    required_fields = ("NotebookInstanceName", "InstanceType", "RoleArn", "SubnetId") if restorable else ()
    for required in required_fields:
        if not request.get(required):
            problems.append(f"create_request has no {required}")
    return problems


def restore_hint(snapshot_uri: str | None, region: str) -> str | None:
    """How a person restores the notebook from its snapshot, with and without our CLI."""
    if not snapshot_uri:
        return None
    return (
        f"notebook-guard restore {snapshot_uri}   "
        f"(or: aws s3 cp {snapshot_uri} - | jq .create_request > create.json && "
        f"aws sagemaker create-notebook-instance --region {region} --cli-input-json file://create.json)"
    )


def _iso(value: object) -> object:
    return value.isoformat() if hasattr(value, "isoformat") else value

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
# 1.1: "sequence" (1: the Snapshot step, 2+: re-taken at Delete); the create request tags the execution.
SNAPSHOT_SCHEMA_VERSION = "1.1"
REMEDIATED_AT_TAG = f"{TAG_PREFIX}remediated-at"
SNAPSHOT_TAG = f"{TAG_PREFIX}snapshot"
# The execution that created the notebook: a Create that meets a same-name notebook adopts it only when it
# carries this execution's name (its own create, whose answer was lost), never anyone else's.
EXECUTION_TAG = f"{TAG_PREFIX}execution"
OUR_TAGS = (REMEDIATED_AT_TAG, SNAPSHOT_TAG, EXECUTION_TAG)
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
    # Whether the subnet has an IPv6 CIDR block (None: unknown, e.g. it could not be read: keep what it was).
    subnet_ipv6: bool | None = None
    ip_address_type_fallback: str = "none"  # "none": a dualstack notebook needs IPv6; "ipv4": recreate it as ipv4


@dataclass(frozen=True)
class AddressChoice:
    """The IpAddressType a notebook gets in one subnet, what that drops, or why it cannot go there."""

    ip_address_type: str | None
    dropped: str | None = None
    problem: str | None = None


def address_type_in(
    describe_type: str | None, subnet_id: str, subnet_ipv6: bool | None, fallback: str
) -> AddressChoice:
    """A ``dualstack`` notebook needs a subnet with an IPv6 CIDR block ("When you specify dualstack, the subnet must
    support IPv6 CIDR blocks": CreateNotebookInstance's IpAddressType). In an IPv4-only subnet it is recreated as
    ``ipv4`` only when ``ip_address_type_fallback=ipv4`` says so (listed as dropped); otherwise the subnet is unfit."""
    if describe_type != "dualstack" or subnet_ipv6 is not False:
        return AddressChoice(describe_type)
    if fallback == "ipv4":
        return AddressChoice(
            "ipv4",
            dropped=f"IpAddressType dualstack: target subnet {subnet_id} has no IPv6 CIDR block, so the notebook is "
            "recreated as ipv4 (ip_address_type_fallback=ipv4)",
        )
    return AddressChoice(
        describe_type,
        problem=f"the notebook is dualstack (IPv4 and IPv6) and subnet {subnet_id} has no IPv6 CIDR block: "
        "CreateNotebookInstance would fail after the delete (add an IPv6 CIDR block to the subnet, or set "
        "ip_address_type_fallback=ipv4 to recreate it as ipv4)",
    )


@dataclass
class CreatePlan:
    request: dict
    dropped: list[str] = field(default_factory=list)  # what could not be carried over, in words

    def to_dict(self) -> dict:
        return {"request": self.request, "dropped": self.dropped}


def plan_create_request(
    describe: dict,
    tags: dict[str, str],
    target: Target,
    remediated_at: str,
    snapshot_uri: str,
    execution_name: str | None = None,
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
    choice = address_type_in(
        describe.get("IpAddressType"), target.subnet_id, target.subnet_ipv6, target.ip_address_type_fallback
    )
    if choice.ip_address_type and choice.ip_address_type != request.get("IpAddressType"):
        request["IpAddressType"] = choice.ip_address_type
    if choice.dropped:
        dropped.append(choice.dropped)
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
    kept = {k: v for k, v in kept.items() if k not in OUR_TAGS}
    ours = {REMEDIATED_AT_TAG: remediated_at, SNAPSHOT_TAG: snapshot_uri[:256]}
    if execution_name:
        ours[EXECUTION_TAG] = execution_name[:256]
    room = MAX_TAGS - len(ours)
    if len(kept) > room:
        overflow = sorted(kept)[room:]
        dropped.append(
            f"tags {overflow}: over SageMaker's limit of {MAX_TAGS} tags once the remediation tags are added"
        )
        kept = {k: kept[k] for k in sorted(kept)[:room]}
    request["Tags"] = [{"Key": k, "Value": v} for k, v in {**kept, **ours}.items()]
    return CreatePlan(request=request, dropped=dropped)


def request_in_subnet(request: dict, subnet_id: str, ip_address_type: str | None) -> dict:
    """The planned request moved to another target subnet (a capacity retry in another zone), with the address type
    the Preflight chose for that subnet (``address_type_in``)."""
    moved = {**request, "SubnetId": subnet_id}
    if ip_address_type:
        moved["IpAddressType"] = ip_address_type
    return moved


def snapshot_key(notebook_name: str, execution_name: str, sequence: int = 1, prefix: str = "snapshots") -> str:
    """One key per notebook, execution (attempt) and snapshot of that execution (1: Snapshot, 2+: re-taken at
    Delete). Deterministic, so a retried write lands on the same key as a new version, never on another
    execution's snapshot; the version id written is what every reader asks for."""
    return f"{prefix}/{notebook_name}/{execution_name}/{sequence}.json"


def configuration_of(describe: dict, tags: dict[str, str]) -> dict:
    """What a recreate carries over: the Describe fields copied into the create request, and the user's tags.

    The lifecycle configuration is referenced by name (its scripts live on, it is not deleted with the notebook).
    """
    fields = {source: describe.get(source) for source in COPIED_FIELDS if describe.get(source) not in (None, "", [])}
    return {"fields": fields, "tags": {k: v for k, v in tags.items() if k not in OUR_TAGS}}


def configuration_differences(before: dict, now: dict) -> list[str]:
    """Differences between two ``configuration_of`` results, in words (empty: the same notebook)."""
    differences = []
    for name in sorted(set(before["fields"]) | set(now["fields"])):
        old, new = before["fields"].get(name), now["fields"].get(name)
        if old != new:
            differences.append(f"{name}: {old!r} -> {new!r}")
    old_tags, new_tags = before["tags"], now["tags"]
    for key in sorted(set(old_tags) | set(new_tags)):
        if key not in new_tags:
            differences.append(f"tag {key} removed")
        elif key not in old_tags:
            differences.append(f"tag {key} added")
        elif old_tags[key] != new_tags[key]:
            differences.append(f"tag {key} changed")
    return differences


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


def restore_hint(snapshot_uri: str | None, region: str, version_id: str | None = None) -> str | None:
    """How a person restores the notebook from its snapshot, with and without our CLI.

    The version id pins the object the workflow verified; the audit table's ``snapshot`` record of the execution
    holds the same ``create_request``, should the object itself be gone.
    """
    if not snapshot_uri:
        return None
    version = f" --version-id {version_id}" if version_id else ""
    bucket, _, key = snapshot_uri.removeprefix("s3://").partition("/")
    return (
        f"notebook-guard restore {snapshot_uri}{version}   "
        f"(or: aws s3api get-object --bucket {bucket} --key {key}{version} snapshot.json && "
        f"jq .create_request snapshot.json > create.json && "
        f"aws sagemaker create-notebook-instance --region {region} --cli-input-json file://create.json; "
        "the execution's snapshot record in the audit table holds the same create_request)"
    )


def _iso(value: object) -> object:
    return value.isoformat() if hasattr(value, "isoformat") else value

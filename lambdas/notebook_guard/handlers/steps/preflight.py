"""Preflight: is the target fit to receive the notebook, and may the steps that act do so? Every problem is
reported; nothing is changed."""

from __future__ import annotations

from notebook_guard.aws import ec2, iam, kms
from notebook_guard.domain import network, workflow
from notebook_guard.handlers.steps.common import step
from notebook_guard.services import snapshots
from notebook_guard.services.permission_check import permission_problems
from notebook_guard.settings import Settings, get_settings


def network_problems(settings: Settings) -> tuple[list[str], str | None]:
    if not settings.target_subnet_ids:
        return ["no target subnet is configured (NG_TARGET_SUBNET_IDS)"], None
    subnet_id = settings.target_subnet_ids[0]
    problems = []
    if settings.approved_subnet_ids and subnet_id not in settings.approved_subnet_ids:
        problems.append(f"target subnet {subnet_id} is not in the approved subnets: the result would still violate")
    subnet = ec2.describe_subnet(subnet_id, settings.region)
    if subnet is None:
        return [*problems, f"subnet {subnet_id} does not exist"], None
    vpc_id = subnet["VpcId"]
    problems += network.subnet_problems(subnet_id, subnet, ec2.route_tables_of_vpc(vpc_id, settings.region))
    groups = ec2.security_groups(settings.target_security_group_ids, settings.region)
    problems += network.security_group_problems(settings.target_security_group_ids, groups, vpc_id)
    endpoints = ec2.vpc_endpoints(vpc_id, settings.region)
    problems += network.endpoint_problems(settings.required_endpoints, endpoints, settings.region, vpc_id)
    if network.needs_private_dns(settings.required_endpoints):
        problems += network.dns_problems(ec2.vpc_dns_attributes(vpc_id, settings.region), vpc_id)
    return problems, vpc_id


def read_snapshot(snapshot: dict, region: str) -> dict | None:
    """The snapshot document the steps will act on: the version the Snapshot step verified, or None without one."""
    if not snapshot.get("verified"):
        return None
    return snapshots.read_verified(snapshot, region)


@step
def handler(document: dict) -> dict:
    settings = get_settings()
    snapshot = document.get("snapshot") or {}
    problems: list[str] = []
    vpc_id = None
    if document["evaluation"]["path"] == workflow.RECREATE:
        problems, vpc_id = network_problems(settings)
    role_arn = snapshot.get("role_arn")
    if role_arn and not iam.role_exists(role_arn, settings.region):
        problems.append(f"execution role {role_arn} no longer exists")
    key_id = snapshot.get("kms_key_id")
    key_arn = None
    if key_id:
        metadata = kms.key_metadata(key_id, settings.region)
        state = metadata.get("KeyState") if metadata else None
        key_arn = metadata.get("Arn") if metadata else None
        if state != "Enabled":
            problems.append(f"KMS key {key_id} is {state or 'missing'}, not Enabled")
    if document.get("action") in ("remediate", "quarantine"):
        problems += permission_problems(document, read_snapshot(snapshot, settings.region), settings, key_arn)
    return {
        "passed": not problems,
        "problems": problems,
        "subnet_id": settings.target_subnet_ids[0] if settings.target_subnet_ids else None,
        "vpc_id": vpc_id,
        "security_group_ids": list(settings.target_security_group_ids),
    }

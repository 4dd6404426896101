"""Preflight: will the recreated notebook come up and work in the target, in which subnets, and may the steps that
act do so? Every problem is reported; nothing is changed.

The path (``services.preflight``): each target subnet's network, security groups, endpoints, addresses, IPv6 and
way out, against what the notebook needs (its lifecycle scripts and Git repositories, read from the verified
snapshot); the notebook's role, key (metadata and key policy), lifecycle configuration and code repositories. Then
the permissions of the steps that act (``services.permission_check``). Each AWS resource is read once per
invocation (``reads`` in the result counts the calls).
"""

from __future__ import annotations

from notebook_guard.domain import workflow
from notebook_guard.handlers.steps.common import account, step
from notebook_guard.services import snapshots
from notebook_guard.services.permission_check import permission_problems
from notebook_guard.services.preflight import PreflightReads, check_notebook
from notebook_guard.settings import get_settings


def read_snapshot(snapshot: dict, region: str) -> dict | None:
    """The snapshot document the steps will act on: the version the Snapshot step verified, or None without one."""
    if not snapshot.get("verified"):
        return None
    return snapshots.read_verified(snapshot, region)


@step
def handler(document: dict) -> dict:
    settings = get_settings()
    reads = PreflightReads(settings.region)
    snapshot = document.get("snapshot") or {}
    snapshot_document = read_snapshot(snapshot, settings.region)
    path = document["evaluation"]["path"]
    # The notebook as snapshotted (its role and key as the Snapshot step recorded them, should the document lack them).
    describe = {
        "RoleArn": snapshot.get("role_arn"),
        "KmsKeyId": snapshot.get("kms_key_id"),
        **((snapshot_document or {}).get("describe") or {}),
    }
    report = check_notebook(
        settings,
        path,
        describe,
        (snapshot_document or {}).get("lifecycle_config"),
        account(document),
        reads,
        settings.step_roles,
    )
    if path == workflow.RECREATE and snapshot_document is None:
        report.problems.insert(0, "no verified snapshot: what the notebook needs cannot be checked")
    if document.get("action") in ("remediate", "quarantine"):
        report.problems += permission_problems(
            document, snapshot_document, settings, report.key_arn, reads, report.subnets
        )
    return {
        "passed": not report.problems,
        **report.to_dict(),
        "subnet_id": report.subnets[0]["subnet_id"] if report.subnets else None,
        "security_group_ids": list(settings.target_security_group_ids),
        "reads": dict(sorted(reads.calls.items())),
    }

"""Delete: destroy only what was just read, under the lease, with a verified snapshot of exactly that.

Immediately before DeleteNotebookInstance the step re-reads the notebook (Describe and every tag) and compares
what a recreate carries over with the snapshot: a difference (tags, instance type, volume size, lifecycle
configuration...) takes a fresh snapshot and re-plans the create request, so the recreated notebook equals the
notebook as it was at the delete. A notebook that is exempt now, or compliant, is not deleted; a notebook that
vanished, or that someone else is deleting, is not deleted and will not be recreated (outcome ``gone``).

Before calling Delete the step writes on the lease that this execution is deleting, with the snapshot it
verified (refused unless this execution still holds the lease). A retry after a lost answer finds that mark
and carries on with the same snapshot; a notebook found ``Deleting`` or gone without the mark was deleted by
someone else.
"""

from __future__ import annotations

from notebook_guard.aws import sagemaker
from notebook_guard.domain import workflow
from notebook_guard.domain.errors import NotebookNotReady, PreflightFailed, SnapshotMismatch
from notebook_guard.domain.recreate import configuration_differences, configuration_of, snapshot_problems
from notebook_guard.handlers.steps.common import creation_time_of, ensure_same_notebook, step
from notebook_guard.services import audit, snapshots
from notebook_guard.services.coordination import Coordinator
from notebook_guard.services.detection import evaluate_described
from notebook_guard.settings import Settings, get_settings


def verified_snapshot(document: dict, describe: dict, region: str) -> dict:
    """Re-read the snapshot the state machine hands us and check it, whatever the state machine claims."""
    content = snapshots.read_verified(document.get("snapshot") or {}, region)
    problems = snapshot_problems(content, describe["NotebookInstanceArn"], creation_time_of(describe), restorable=True)
    if problems:
        raise SnapshotMismatch(f"snapshot {document['snapshot']['uri']}: " + "; ".join(problems))
    return content


def not_deleted(outcome: str, document: dict, state: str, **extra) -> dict:
    return {"outcome": outcome, "state": state, "snapshot": document.get("snapshot"), **extra}


@step
def handler(document: dict) -> dict:
    settings = get_settings()
    name = document["notebook_name"]
    me = document.get("execution_id") or ""
    if document["evaluation"].get("path") != workflow.RECREATE:
        raise PreflightFailed(f"path {document['evaluation'].get('path')!r} does not delete notebooks")
    preflight = document.get("preflight") or {}
    if preflight.get("passed") is not True:
        raise PreflightFailed("the preflight did not pass: " + "; ".join(preflight.get("problems") or ["not run"]))
    coordinator = Coordinator(settings)
    lease = coordinator.record(document["notebook_arn"])
    ours = lease.held and lease.holder == me and lease.delete_issued == me

    describe = sagemaker.describe_notebook(name, settings.region)
    if describe is None:
        if ours:  # our own delete, whose answer was lost, has finished
            return {"outcome": "deleting", "state": "Gone", "snapshot": lease.delete_snapshot}
        return not_deleted("gone", document, "Gone")
    ensure_same_notebook(document, describe)
    status = describe["NotebookInstanceStatus"]
    if status == "Deleting":
        if ours:
            return {"outcome": "deleting", "state": status, "snapshot": lease.delete_snapshot}
        return not_deleted("gone", document, status, reason="someone else is deleting the notebook")
    if status not in ("Stopped", "Failed"):
        raise NotebookNotReady(f"notebook {name} is {status}: it can only be deleted when Stopped or Failed")

    first = verified_snapshot(document, describe, settings.region)
    tags = sagemaker.list_tags(describe["NotebookInstanceArn"], settings.region)
    now = evaluate_described(describe, settings, tags=tags)
    if now.exempt:
        return not_deleted("exempt", document, status, exemption=now.exemption.to_dict())
    if now.compliant:
        return not_deleted("compliant", document, status)

    snapshot = document["snapshot"]
    differences = configuration_differences(
        configuration_of(first["describe"], first["tags"]), configuration_of(describe, tags)
    )
    if differences:
        snapshot = resnapshot(document, describe, tags, settings, differences)
    coordinator.mark(document["notebook_arn"], me, {"delete_issued": me, "delete_snapshot": snapshot})
    audit.write(
        settings,
        document,
        "delete",
        {
            "outcome": "deleting",
            "snapshot_uri": snapshot["uri"],
            "version_id": snapshot.get("version_id"),
            "status_before": status,
            "differences": differences or None,
        },
    )
    sagemaker.delete_notebook(name, settings.region)
    return {"outcome": "deleting", "state": "Deleting", "snapshot": snapshot, "differences": differences}


def resnapshot(document: dict, describe: dict, tags: dict, settings: Settings, differences: list[str]) -> dict:
    """A fresh snapshot of the notebook as it is now (the next sequence number of this execution)."""
    sequence = int((document.get("snapshot") or {}).get("sequence") or 1) + 1
    return snapshots.take(
        document, describe, tags, settings, sequence, why="changed since the first snapshot: " + "; ".join(differences)
    )

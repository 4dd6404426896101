"""Delete: only with a passed preflight and a snapshot that exists, matches its checksum and this notebook."""

from __future__ import annotations

import json

from notebook_guard.aws import dynamodb, s3, sagemaker
from notebook_guard.domain import workflow
from notebook_guard.domain.errors import NotebookNotReady, PreflightFailed, SnapshotMismatch, SnapshotMissing
from notebook_guard.domain.recreate import checksum, snapshot_problems
from notebook_guard.handlers.steps.common import creation_time_of, ensure_same_notebook, now_iso, record_id, step
from notebook_guard.settings import get_settings


def verified_snapshot(document: dict, describe: dict, region: str) -> dict:
    """Re-read the snapshot the state machine hands us and check it, whatever the state machine claims."""
    snapshot = document.get("snapshot") or {}
    if not snapshot.get("uri") or not snapshot.get("verified"):
        raise SnapshotMissing("no verified snapshot was handed to the delete step")
    bucket, key = s3.parse_s3_uri(snapshot["uri"])
    body = s3.get_object(bucket, key, region)
    if body is None:
        raise SnapshotMissing(f"snapshot {snapshot['uri']} does not exist")
    if checksum(body) != snapshot.get("sha256"):
        raise SnapshotMismatch(f"snapshot {snapshot['uri']} does not match its recorded checksum")
    content = json.loads(body)
    problems = snapshot_problems(content, describe["NotebookInstanceArn"], creation_time_of(describe), restorable=True)
    if problems:
        raise SnapshotMismatch(f"snapshot {snapshot['uri']}: " + "; ".join(problems))
    return content


@step
def handler(document: dict) -> dict:
    settings = get_settings()
    name = document["notebook_name"]
    if document["evaluation"].get("path") != workflow.RECREATE:
        raise PreflightFailed(f"path {document['evaluation'].get('path')!r} does not delete notebooks")
    preflight = document.get("preflight") or {}
    if preflight.get("passed") is not True:
        raise PreflightFailed("the preflight did not pass: " + "; ".join(preflight.get("problems") or ["not run"]))
    describe = sagemaker.describe_notebook(name, settings.region)
    if describe is None:
        return {"state": "Gone"}
    status = describe["NotebookInstanceStatus"]
    if status == "Deleting":
        return {"state": status}
    ensure_same_notebook(document, describe)
    verified_snapshot(document, describe, settings.region)
    if status not in ("Stopped", "Failed"):
        raise NotebookNotReady(f"notebook {name} is {status}: it can only be deleted when Stopped or Failed")
    if settings.audit_table:
        dynamodb.put_audit_record(
            settings.audit_table,
            name,
            record_id(document, "delete"),
            {
                "outcome": "deleting",
                "execution_id": document.get("execution_id"),
                "snapshot_uri": document["snapshot"]["uri"],
                "time": now_iso(),
                "status_before": status,
            },
            settings.region,
        )
    sagemaker.delete_notebook(name, settings.region)
    return {"state": "Deleting"}

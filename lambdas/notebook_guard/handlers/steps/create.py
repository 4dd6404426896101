"""Create: recreate the notebook under the same name from the create request planned in its snapshot."""

from __future__ import annotations

import json

from notebook_guard.aws import s3, sagemaker
from notebook_guard.domain.errors import NotebookChanged, NotebookNotReady, SnapshotMissing
from notebook_guard.domain.recreate import SNAPSHOT_TAG, checksum
from notebook_guard.handlers.steps.common import step
from notebook_guard.settings import get_settings


@step
def handler(document: dict) -> dict:
    settings = get_settings()
    name = document["notebook_name"]
    uri = (document.get("snapshot") or {}).get("uri")
    if not uri:
        raise SnapshotMissing("no snapshot to recreate from")
    body = s3.get_object(*s3.parse_s3_uri(uri), settings.region)
    if body is None or checksum(body) != document["snapshot"].get("sha256"):
        raise SnapshotMissing(f"snapshot {uri} is missing or changed: recreate by hand from the audit record")
    request = json.loads(body)["create_request"]

    existing = sagemaker.describe_notebook(name, settings.region)
    if existing is not None:
        # A retry after a create whose answer was lost: the notebook carrying our snapshot tag is ours.
        if existing["NotebookInstanceStatus"] == "Deleting":
            raise NotebookNotReady(f"notebook {name} is still being deleted")
        tags = sagemaker.list_tags(existing["NotebookInstanceArn"], settings.region)
        if tags.get(SNAPSHOT_TAG) == request_tag(request, SNAPSHOT_TAG):
            return {"arn": existing["NotebookInstanceArn"], "already_created": True}
        raise NotebookChanged(f"a notebook named {name} exists that this workflow did not create")
    arn = sagemaker.create_notebook(request, settings.region)
    return {"arn": arn, "already_created": False}


def request_tag(request: dict, key: str) -> str | None:
    return next((t["Value"] for t in request.get("Tags", []) if t["Key"] == key), None)

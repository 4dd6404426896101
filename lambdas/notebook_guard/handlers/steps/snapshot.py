"""Snapshot: Describe + all tags + lifecycle scripts + the planned create request, written to S3, read back.

The key is unique per execution (``snapshots/<name>/<execution>/1.json``); the version written, its SHA-256 and
the planned create request go into the step's result and the audit record (see ``services.snapshots``).
"""

from __future__ import annotations

from notebook_guard.aws import sagemaker
from notebook_guard.domain.errors import NotebookChanged
from notebook_guard.handlers.steps.common import describe_same_notebook, step
from notebook_guard.services.snapshots import take, target_of
from notebook_guard.settings import get_settings

__all__ = ["handler", "target_of"]


@step
def handler(document: dict) -> dict:
    settings = get_settings()
    describe = describe_same_notebook(document, settings.region)
    if describe is None:
        raise NotebookChanged(f"notebook {document['notebook_name']} disappeared before its snapshot was taken")
    tags = sagemaker.list_tags(describe["NotebookInstanceArn"], settings.region)
    return take(document, describe, tags, settings, sequence=1)

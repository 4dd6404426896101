"""Update: disable root access in place (the notebook must be Stopped)."""

from __future__ import annotations

from notebook_guard.aws import sagemaker
from notebook_guard.domain.errors import NotebookNotReady
from notebook_guard.handlers.steps.common import describe_same_notebook, step
from notebook_guard.settings import get_settings


@step
def handler(document: dict) -> dict:
    settings = get_settings()
    name = document["notebook_name"]
    describe = describe_same_notebook(document, settings.region)
    if describe is None:
        raise NotebookNotReady(f"notebook {name} disappeared before its root access could be disabled")
    if describe.get("RootAccess") == "Disabled":
        return {"state": describe["NotebookInstanceStatus"], "updated": False}
    if describe["NotebookInstanceStatus"] != "Stopped":
        raise NotebookNotReady(f"notebook {name} is {describe['NotebookInstanceStatus']}: updates need Stopped")
    sagemaker.disable_root_access(name, settings.region)
    return {"state": "Updating", "updated": True}

"""Stop: from InService only. A Stopped or Failed notebook needs no stop (a Failed one is deleted directly)."""

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
        return {"state": "Gone"}
    status = describe["NotebookInstanceStatus"]
    if status == "InService":
        sagemaker.stop_notebook(name, settings.region)
        return {"state": "Stopping", "stopped_by_us": True}
    if status in ("Stopping", "Stopped", "Failed"):
        return {"state": status, "stopped_by_us": False}
    raise NotebookNotReady(f"notebook {name} is {status}: it can only be stopped from InService")

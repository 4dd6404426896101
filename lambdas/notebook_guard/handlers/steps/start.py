"""Start: run the notebook again after an in-place fix, because it was running before."""

from __future__ import annotations

from notebook_guard.aws import sagemaker
from notebook_guard.domain.errors import NotebookNotReady
from notebook_guard.handlers.steps.common import step
from notebook_guard.settings import get_settings


@step
def handler(document: dict) -> dict:
    settings = get_settings()
    name = document["notebook_name"]
    describe = sagemaker.describe_notebook(name, settings.region)
    status = describe["NotebookInstanceStatus"] if describe else "Gone"
    if status in ("Stopped", "Failed"):
        sagemaker.start_notebook(name, settings.region)
        return {"state": "Pending"}
    if status in ("Pending", "InService"):
        return {"state": status}
    raise NotebookNotReady(f"notebook {name} is {status}: it can only be started from Stopped or Failed")

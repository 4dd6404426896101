"""Stop: from InService only. A Stopped or Failed notebook needs no stop (a Failed one is deleted directly).

``{"replacement": true, "document": ...}``: the replacement this execution created (data preservation stops it to put
its own lifecycle configuration back), recognised by the execution's tag.
"""

from __future__ import annotations

from notebook_guard.aws import sagemaker
from notebook_guard.domain.errors import NotebookNotReady
from notebook_guard.handlers.steps.common import describe_same_notebook, ensure_ours, step
from notebook_guard.settings import get_settings


@step
def handler(event: dict) -> dict:
    settings = get_settings()
    document = event.get("document", event)
    name = document["notebook_name"]
    if event.get("replacement"):
        describe = sagemaker.describe_notebook(name, settings.region)
        if describe is not None:
            ensure_ours(document, describe, settings.region)
    else:
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

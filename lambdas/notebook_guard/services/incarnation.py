"""Which incarnation of a notebook name a step may act on: the one the workflow started with, or its replacement."""

from __future__ import annotations

from notebook_guard.aws import sagemaker
from notebook_guard.domain.errors import NotebookChanged
from notebook_guard.domain.naming import execution_name_of
from notebook_guard.domain.recreate import EXECUTION_TAG
from notebook_guard.services.snapshots import creation_time_of


def ensure_ours(document: dict, describe: dict, region: str | None) -> None:
    """The original (the incarnation the workflow started with) or the replacement this execution created (it carries
    the execution's tag); any other incarnation of the name is refused."""
    expected = (document.get("evaluation") or {}).get("creation_time")
    if not expected or creation_time_of(describe) == expected:
        return
    tags = sagemaker.list_tags(describe["NotebookInstanceArn"], region)
    if tags.get(EXECUTION_TAG) != execution_name_of(document.get("execution_id")):
        raise NotebookChanged(
            f"notebook {describe['NotebookInstanceName']} is neither the one the workflow started with nor its "
            f"replacement (tag {EXECUTION_TAG}={tags.get(EXECUTION_TAG)!r}): refusing to touch it"
        )

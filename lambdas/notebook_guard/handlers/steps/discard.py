"""Discard: a replacement that ended Failed for lack of capacity is deleted, so Create can try the next subnet.

SageMaker reports capacity asynchronously: the new notebook goes Pending, then Failed with "Insufficient notebook
instance capacity. Retry later or with a different instance type." Another Availability Zone may have capacity, so
when the Preflight passed a subnet in a zone not yet tried, this step deletes the failed replacement and names that
subnet; the state machine waits until the name is free and creates again. Each attempt (subnet, zone, failure) is
returned and recorded in the audit table.

It only ever deletes a notebook this execution created: the lease must be held by this execution and carry its
delete and create marks, and the notebook must be Failed and tagged with this execution's name
(``notebook-guard:execution``). Any other failure (a lifecycle script, a Git clone...) or no zone left: nothing is
deleted, and the failure path alerts with the FailureReason.
"""

from __future__ import annotations

from notebook_guard.aws import sagemaker
from notebook_guard.domain.errors import LeaseLost, NotebookChanged
from notebook_guard.domain.naming import execution_name_of
from notebook_guard.domain.recreate import EXECUTION_TAG
from notebook_guard.domain.workflow import is_capacity_failure, next_subnet
from notebook_guard.handlers.steps.common import step
from notebook_guard.services import audit
from notebook_guard.services.coordination import Coordinator
from notebook_guard.settings import get_settings


@step
def handler(document: dict) -> dict:
    settings = get_settings()
    name = document["notebook_name"]
    me = document.get("execution_id") or ""
    created = document.get("created") or {}
    reason = (document.get("loop") or {}).get("failure_reason") or ""
    attempts = [
        *((document.get("retry") or {}).get("attempts") or []),
        {
            "attempt": created.get("attempt") or 1,
            "subnet_id": created.get("subnet_id"),
            "availability_zone": created.get("availability_zone"),
            "failure_reason": reason,
        },
    ]
    if not is_capacity_failure(reason):
        return {"retry": False, "attempts": attempts, "why": "not a capacity failure: another subnet would not help"}
    following = next_subnet((document.get("preflight") or {}).get("subnets") or [], attempts)
    if following is None:
        return {"retry": False, "attempts": attempts, "why": "every target subnet's zone has been tried"}

    lease = Coordinator(settings).record(document["notebook_arn"])
    if not (lease.held and lease.holder == me and lease.delete_issued == me and lease.create_issued == me):
        raise LeaseLost(f"execution {me} did not create {name} under its lease: refusing to delete a replacement")
    describe = sagemaker.describe_notebook(name, settings.region)
    if describe is not None:
        if describe["NotebookInstanceStatus"] != "Failed":
            return {
                "retry": False,
                "attempts": attempts,
                "why": f"the replacement is {describe['NotebookInstanceStatus']} now, not Failed: left as it is",
            }
        tags = sagemaker.list_tags(describe["NotebookInstanceArn"], settings.region)
        if tags.get(EXECUTION_TAG) != execution_name_of(me):
            raise NotebookChanged(
                f"the Failed notebook {name} is not this execution's replacement (tag {EXECUTION_TAG}="
                f"{tags.get(EXECUTION_TAG)!r}): refusing to delete it"
            )
    audit.write(
        settings,
        document,
        f"replacement-{len(attempts)}-discarded",
        {
            "outcome": "replacement-discarded",
            "attempts": attempts,
            "next_subnet": following["subnet_id"],
            "next_zone": following.get("availability_zone"),
        },
    )
    if describe is not None:
        sagemaker.delete_notebook(name, settings.region)
    return {
        "retry": True,
        "attempts": attempts,
        "next_subnet": following["subnet_id"],
        "next_zone": following.get("availability_zone"),
    }

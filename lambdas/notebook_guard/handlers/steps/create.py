"""Create: recreate the notebook under the same name from the create request planned in its snapshot.

Past the point of no return, so every answer is settled rather than guessed:
- only the execution that deleted the notebook (its mark on the lease) may recreate it;
- before calling Create the step marks the lease ``create_issued``; a same-name notebook found afterwards is
  adopted only when that mark is this execution's *and* the notebook carries this execution's tag
  (``notebook-guard:execution``): its own create, whose answer was lost;
- a "duplicate" refusal from CreateNotebookInstance (a retry after a lost answer, by boto3 or by the state
  machine) is settled by Describe in the same way;
- any other same-name notebook (the owner's, a replayed runbook request) is not ours: ``NotebookChanged``.
Throttling and 5xx are retried by the client and then by the state machine for over 20 minutes (its Retry).

The subnet is the first the Preflight passed or, after a replacement that failed for lack of capacity (deleted
by the Discard step), the next one it chose in another zone; the address type is the Preflight's for that subnet.
"""

from __future__ import annotations

from botocore.exceptions import ClientError

from notebook_guard.aws import sagemaker
from notebook_guard.aws.errors import is_duplicate_notebook
from notebook_guard.domain.errors import LeaseLost, NotebookChanged, NotebookNotReady
from notebook_guard.domain.naming import execution_name_of
from notebook_guard.domain.recreate import EXECUTION_TAG, request_in_subnet
from notebook_guard.domain.workflow import subnet_for_attempt
from notebook_guard.handlers.steps.common import step
from notebook_guard.services import snapshots
from notebook_guard.services.coordination import Coordinator
from notebook_guard.settings import Settings, get_settings


@step
def handler(document: dict) -> dict:
    settings = get_settings()
    name = document["notebook_name"]
    me = document.get("execution_id") or ""
    coordinator = Coordinator(settings)
    lease = coordinator.record(document["notebook_arn"])
    if not (lease.held and lease.holder == me and lease.delete_issued == me):
        raise LeaseLost(f"execution {me} did not delete {name} under its lease: refusing to create one")
    request = snapshots.read_verified(document.get("snapshot") or {}, settings.region)["create_request"]
    subnet = subnet_for_attempt(document.get("preflight") or {}, document.get("retry"))
    if subnet is not None:
        request = request_in_subnet(request, subnet["subnet_id"], subnet.get("ip_address_type"))
    where = {
        "subnet_id": request.get("SubnetId"),
        "availability_zone": (subnet or {}).get("availability_zone"),
        "attempt": len((document.get("retry") or {}).get("attempts") or []) + 1,
        **({"address_note": subnet.get("address_note")} if subnet is not None else {}),
    }

    existing = sagemaker.describe_notebook(name, settings.region)
    if existing is not None:
        return {**adopt(existing, lease.create_issued == me, me, settings), **where}
    coordinator.mark(document["notebook_arn"], me, {"create_issued": me}, require={"delete_issued": me})
    try:
        arn = sagemaker.create_notebook(request, settings.region)
    except ClientError as error:
        if not is_duplicate_notebook(error):
            raise
        # Our own create took effect and its answer was lost (boto3 retried it): Describe settles it.
        existing = sagemaker.describe_notebook(name, settings.region)
        if existing is None:
            raise NotebookNotReady(f"CreateNotebookInstance says {name} exists, Describe does not yet") from error
        return {**adopt(existing, True, me, settings), **where}
    return {"arn": arn, "already_created": False, **where}


def adopt(existing: dict, we_called_create: bool, me: str, settings: Settings) -> dict:
    """A same-name notebook exists: ours only if this execution created it (its mark and its tag)."""
    name = existing["NotebookInstanceName"]
    if existing["NotebookInstanceStatus"] == "Deleting":
        raise NotebookNotReady(f"notebook {name} is still being deleted")
    tags = sagemaker.list_tags(existing["NotebookInstanceArn"], settings.region)
    if we_called_create and tags.get(EXECUTION_TAG) == execution_name_of(me):
        return {"arn": existing["NotebookInstanceArn"], "already_created": True}
    raise NotebookChanged(
        f"a notebook named {name} exists that this execution did not create (tag {EXECUTION_TAG}="
        f"{tags.get(EXECUTION_TAG)!r}): refusing to adopt it"
    )

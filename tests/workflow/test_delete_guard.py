"""Defence in depth: the Delete step re-checks the snapshot and the preflight itself, whatever it is told."""

from __future__ import annotations

import copy
import itertools

import pytest

from notebook_guard.aws import clients
from notebook_guard.domain.errors import LeaseLost, NotebookChanged, PreflightFailed, SnapshotMismatch, SnapshotMissing
from notebook_guard.handlers.steps import delete, evaluate, lease, preflight, snapshot
from notebook_guard_local.workflow_runner import _Context
from tests.conftest import REGION

CONTEXT = _Context("notebook-guard-step-Delete", "arn:aws:lambda:us-east-1:123456789012:function:x")


_names = itertools.count()


@pytest.fixture
def ready(shared_harness):
    """The execution document as it reaches 'Delete the notebook' (snapshot taken, preflight passed)."""
    harness = shared_harness
    name = f"guard-{next(_names)}"
    harness.create_notebook(name, "Stopped")
    execution = f"arn:aws:states:us-east-1:123456789012:execution:m:{name}-run"
    started = {"input": {"notebook_name": name, "trigger": "create"}, "execution_id": execution}
    document = evaluate.handler(started, CONTEXT)
    document["lease"] = lease.handler({"op": "hold", "document": document}, CONTEXT)
    document["snapshot"] = snapshot.handler(document, CONTEXT)
    document["preflight"] = preflight.handler(document, CONTEXT)
    assert document["preflight"]["passed"] and document["snapshot"]["verified"]
    return harness, document


def test_the_happy_document_deletes(ready):
    _harness, document = ready
    result = delete.handler(document, CONTEXT)
    assert (result["outcome"], result["state"], result["differences"]) == ("deleting", "Deleting", [])
    assert result["snapshot"] == document["snapshot"]


def test_delete_refuses_without_the_lease(ready):
    harness, document = ready
    document = copy.deepcopy(document)
    document["execution_id"] = document["execution_id"] + "-someone-else"
    with pytest.raises(LeaseLost):
        delete.handler(document, CONTEXT)
    assert harness.backend.notebook_instances[document["notebook_name"]].status == "Stopped"


@pytest.mark.parametrize(
    ("tamper", "error"),
    [
        (lambda d: d["preflight"].update(passed=False, problems=["subnet is public"]), PreflightFailed),
        (lambda d: d.pop("preflight"), PreflightFailed),
        (lambda d: d.pop("snapshot"), SnapshotMissing),
        (lambda d: d["snapshot"].update(verified=False), SnapshotMissing),
        (lambda d: d["snapshot"].update(sha256="0" * 64), SnapshotMismatch),
        (lambda d: d["snapshot"].update(uri=d["snapshot"]["uri"].replace(".json", "-other.json")), SnapshotMissing),
        (lambda d: d["snapshot"].update(version_id="not-a-version"), SnapshotMissing),
        (lambda d: d["evaluation"].update(path="root-access"), PreflightFailed),
        (lambda d: d["evaluation"].update(creation_time="2001-01-01T00:00:00+00:00"), NotebookChanged),
    ],
)
def test_delete_refuses(ready, tamper, error):
    harness, document = ready
    document = copy.deepcopy(document)
    tamper(document)
    with pytest.raises(error):
        delete.handler(document, CONTEXT)
    assert harness.backend.notebook_instances[document["notebook_name"]].status == "Stopped"


def test_an_overwrite_of_the_snapshot_key_does_not_change_what_delete_reads(ready):
    harness, document = ready
    s3 = clients.client("s3", REGION)
    s3.put_object(Bucket=harness.world.bucket, Key=document["snapshot"]["key"], Body=b"{}")
    # The version the workflow verified is still the one read: an overwrite cannot slip another document in.
    assert delete.handler(copy.deepcopy(document), CONTEXT)["outcome"] == "deleting"


def test_delete_refuses_a_snapshot_whose_recorded_version_was_replaced(ready):
    harness, document = ready
    s3 = clients.client("s3", REGION)
    version = s3.put_object(Bucket=harness.world.bucket, Key=document["snapshot"]["key"], Body=b"{}")["VersionId"]
    document["snapshot"]["version_id"] = version
    with pytest.raises(SnapshotMismatch):
        delete.handler(document, CONTEXT)
    assert harness.exists(document["notebook_name"])

"""Turning events into a pointer at a notebook (no AWS involved)."""

import copy
import json

import pytest

from notebook_guard.handlers.intake import InvalidEvent, notebook_pointer
from tests.conftest import ROOT

FIXTURES = ROOT / "tests" / "fixtures"


def load(name):
    return json.loads((FIXTURES / name).read_text())


def test_cloudtrail_record_points_at_the_notebook_and_keeps_its_ids():
    pointer = notebook_pointer(load("cloudtrail_create_notebook.json"))
    assert pointer.name == "ml-feature-exploration" and pointer.created
    assert (pointer.account, pointer.region) == ("123456789012", "us-east-1")
    assert pointer.source["cloudtrail_event_id"] == "7e9f1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b"
    assert pointer.source["caller"].endswith("assumed-role/DataScientist/alice@example.com")


def test_native_state_change_points_at_the_notebook():
    pointer = notebook_pointer(load("notebook_state_change.json"))
    assert pointer.name == "ml-feature-exploration" and pointer.source["status"] == "InService"
    assert not pointer.created and pointer.time.isoformat() == "2026-11-27T09:16:41+00:00"


def test_a_record_whose_region_differs_from_its_envelope_is_refused():
    event = load("cloudtrail_create_notebook.json")
    event["detail"]["awsRegion"] = "eu-west-1"
    with pytest.raises(InvalidEvent, match="awsRegion eu-west-1"):
        notebook_pointer(event)


def test_failed_call_is_not_acted_on():
    event = load("cloudtrail_create_notebook.json")
    event["detail"]["errorCode"] = "ResourceLimitExceeded"
    with pytest.raises(InvalidEvent, match="failed"):
        notebook_pointer(event)


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda e: e.update({"detail-type": "EC2 Instance State-change Notification"}), "unrelated"),
        (lambda e: e["detail"].update({"eventName": "DeleteNotebookInstance"}), "malformed"),
        (lambda e: e["detail"]["requestParameters"].update({"notebookInstanceName": "../etc"}), "notebookInstanceName"),
        (lambda e: e["detail"].pop("requestParameters"), "requestParameters"),
        (lambda e: e.pop("detail"), "detail"),
        (lambda e: e.update({"source": "my.app"}), "source"),
    ],
)
def test_malformed_events_say_why(mutate, reason):
    event = copy.deepcopy(load("cloudtrail_create_notebook.json"))
    mutate(event)
    with pytest.raises(InvalidEvent, match=reason):
        notebook_pointer(event)


@pytest.mark.parametrize("event", [None, [], "x", 3, {"detail-type": None}])
def test_non_objects_are_rejected(event):
    with pytest.raises(InvalidEvent):
        notebook_pointer(event)

"""The callback waits' pure parts: the record a wait registers, the verdict on a Describe, and where the polling
fallback starts after a callback task times out."""

from __future__ import annotations

import pytest

from notebook_guard.domain import callbacks, waits
from notebook_guard.domain.callbacks import Decision, WaitRecord, verdict

SCHEDULE = waits.WaitSchedule()
CREATED = "2026-11-27T09:00:00+00:00"


def record(until: str = "stopped", incarnation: str | None = CREATED, now: int = 1000) -> WaitRecord:
    return WaitRecord.new(
        notebook_arn="arn:aws:sagemaker:us-east-1:123456789012:notebook-instance/analysis",
        notebook_name="analysis",
        until=until,
        execution_id="arn:aws:states:us-east-1:123456789012:execution:m:run-1",
        incarnation=incarnation,
        token="SECRET-TOKEN-VALUE",
        now=now,
        schedule=SCHEDULE,
    )


def test_a_record_round_trips_and_never_shows_its_token():
    wait = record()
    assert WaitRecord.from_item(wait.to_item()) == wait
    assert "SECRET-TOKEN-VALUE" not in repr(wait)
    assert "token" not in wait.public() and "SECRET-TOKEN-VALUE" not in str(wait.public())
    assert wait.expires_at == 1000 + SCHEDULE.heartbeat("stopped") + callbacks.EXPIRY_MARGIN_SECONDS


@pytest.mark.parametrize(
    "item",
    [None, {}, {"notebook_arn": "a", "notebook_name": "n", "until": "never", "registered_at": 1, "expires_at": 2,
                "token": "t"}, {"notebook_arn": "a", "notebook_name": "n", "until": "gone", "registered_at": "x",
                                "expires_at": 2, "token": "t"}, {"notebook_arn": "a", "notebook_name": "n",
                                                                 "until": "gone", "registered_at": 1, "expires_at": 2,
                                                                 "token": ""}],
)
def test_a_malformed_item_is_no_record(item):
    assert WaitRecord.from_item(item) is None


def test_a_wait_needs_a_token_and_a_known_target():
    with pytest.raises(ValueError, match="token"):
        WaitRecord.new(notebook_arn="a", notebook_name="n", until="gone", execution_id="e", incarnation=None, token="",
                       now=0, schedule=SCHEDULE)
    with pytest.raises(ValueError, match="target"):
        record(until="somewhere")


@pytest.mark.parametrize(
    ("until", "state", "decision", "done", "failed"),
    [
        ("stopped", "Stopped", Decision.COMPLETE, True, False),
        ("stopped", "Failed", Decision.COMPLETE, True, False),  # a Failed notebook needs no stop
        ("stopped", "Stopping", Decision.NOT_YET, None, None),
        ("stopped", None, Decision.COMPLETE, True, False),  # gone while stopping: the Choice records it
        ("in-service", "InService", Decision.COMPLETE, True, False),
        ("in-service", "Failed", Decision.COMPLETE, False, True),  # answered, not refused: the Choice discards it
        ("in-service", "Pending", Decision.NOT_YET, None, None),
        ("gone", None, Decision.COMPLETE, True, False),
        ("gone", "Deleting", Decision.NOT_YET, None, None),
        ("stable", "InService", Decision.COMPLETE, True, False),
        ("updated", "Updating", Decision.NOT_YET, None, None),
        ("running", "InService", Decision.COMPLETE, True, False),
    ],
)
def test_the_verdict_is_the_polling_loops_own(until, state, decision, done, failed):
    incarnation = None if until in ("gone", "in-service") else CREATED
    found = verdict(record(until, incarnation), state, CREATED, 1090, SCHEDULE, callbacks.EVENT, "why")
    assert found.decision is decision
    if decision is Decision.COMPLETE:
        answer = found.answer
        assert (answer["done"], answer["failed"], answer["stuck"], answer["next_wait"]) == (done, failed, False, 0)
        assert answer["waited"] == 90 and answer["resumed_by"] == callbacks.EVENT and answer["until"] == until
        assert answer["failure_reason"] == ("why" if failed else None)
    else:
        assert found.answer is None


def test_another_incarnation_of_the_name_does_not_end_the_wait_but_a_free_name_ends_the_wait_for_gone():
    later = "2026-11-27T10:00:00+00:00"
    assert verdict(record("stopped"), "Stopped", later, 1001, SCHEDULE, "event").decision is Decision.OTHER_INCARNATION
    assert verdict(record("stopped", incarnation=None), "Stopped", later, 1001, SCHEDULE, "event").decision is (
        Decision.COMPLETE
    )
    # The wait for gone has no incarnation: what it waits for is the name, free.
    assert verdict(record("gone", None), "Pending", later, 1001, SCHEDULE, "event").decision is Decision.NOT_YET


def test_an_expired_wait_is_forgotten():
    wait = record()
    assert verdict(wait, "Stopped", CREATED, wait.expires_at, SCHEDULE, "reconciler").decision is Decision.EXPIRED


def test_the_polling_fallback_counts_the_time_the_callback_listened():
    schedule = waits.WaitSchedule(heartbeats={"stopped": 200})
    timed_out = {"Error": "States.Timeout", "Cause": ""}
    assert waits.after_callback(timed_out, "stopped", schedule) == {"until": "stopped", "count": 0, "waited": 200}
    heartbeat = {"Error": "States.HeartbeatTimeout", "Cause": ""}
    assert waits.after_callback(heartbeat, "stopped", schedule)["waited"] == 200
    # Any other error: the task could not register, at once.
    failed = {"Error": "AwsRequestFailed", "Cause": "AccessDenied"}
    assert waits.after_callback(failed, "stopped", schedule) == {"until": "stopped", "count": 0, "waited": 0}
    poll = {"until": "stopped", "count": 3, "waited": 90}
    assert waits.after_callback(poll, "stopped", schedule) is poll
    # The first poll after the heartbeat goes on from there: the bound is the wait's, callback included.
    first = waits.judge("stopped", "Stopping", waits.after_callback(timed_out, "stopped", schedule), schedule)
    assert (first.count, first.waited) == (1, 200 + schedule.interval(1))


def test_heartbeats_are_per_wait_and_overridable_one_at_a_time():
    schedule = waits.WaitSchedule.from_dict({"heartbeats": {"stopped": 5}})
    assert schedule.heartbeat("stopped") == 5
    assert schedule.heartbeat("in-service") == waits.DEFAULT_HEARTBEATS["in_service"]
    assert set(schedule.to_dict()["heartbeats"]) == {waits.heartbeat_key(t) for t in waits.TARGETS}

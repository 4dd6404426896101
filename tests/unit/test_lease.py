"""The lease's decisions, pure: who may hold it, the attempt bound, the re-alert interval, blocked re-alerts."""

from __future__ import annotations

import json

import pytest

from notebook_guard.domain.lease import (
    MISSING,
    Attempt,
    LeaseRecord,
    Limits,
    Release,
    Request,
    Verdict,
    decide,
    findings_fingerprint,
    release_values,
    should_alert_blocked,
)

NOW = 1_800_000_000
LIMITS = Limits()
ME = "arn:aws:states:us-east-1:123456789012:execution:m:me"
OTHER = "arn:aws:states:us-east-1:123456789012:execution:m:other"
INSTANCE = "2026-11-27T09:14:07+00:00"


def request(action="remediate", holder=ME, enforce=True, trigger="create"):
    return Request(holder=holder, instance=INSTANCE, action=action, trigger=trigger, enforce_bounds=enforce)


def held_by(holder, acquired=NOW - 60, expires=NOW + 3600, attempts=()):
    return LeaseRecord(version=4, holder=holder, held=True, acquired_at=acquired, expires_at=expires, attempts=attempts)


def attempts(*ages, action="remediate", instance=INSTANCE):
    return tuple(Attempt(NOW - age, instance, action, "create", f"{OTHER}-{age}") for age in ages)


def test_a_free_notebook_is_granted_and_the_attempt_recorded():
    decision = decide(LeaseRecord(), request(), NOW, LIMITS)
    assert decision.verdict is Verdict.GRANTED and decision.action == "remediate"
    write = decision.write
    assert write["holder"] == ME and write["held"] is True and write["version"] == 1
    assert write["expires_at"] == NOW + LIMITS.lease_seconds
    (recorded,) = json.loads(write["attempts"])
    assert recorded == {"at": NOW, "instance": INSTANCE, "action": "remediate", "trigger": "create", "execution": ME}


def test_the_holder_itself_is_confirmed_without_a_write():
    decision = decide(held_by(ME), request(), NOW, LIMITS)
    assert decision.verdict is Verdict.GRANTED and decision.write is None


def test_a_lease_held_by_another_asks_for_its_status_then_is_a_duplicate_while_it_runs():
    record = held_by(OTHER)
    assert decide(record, request(), NOW, LIMITS).verdict is Verdict.CHECK_HOLDER
    for status in ("RUNNING", "PENDING_REDRIVE"):
        decision = decide(record, request(), NOW, LIMITS, holder_status=status)
        assert decision.verdict is Verdict.HELD and decision.holder == OTHER


@pytest.mark.parametrize("status", ["SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"])
def test_an_ended_holder_that_did_not_release_is_taken_over(status):
    decision = decide(held_by(OTHER), request(), NOW, LIMITS, holder_status=status)
    assert decision.verdict is Verdict.GRANTED and decision.taken_over_from == OTHER
    assert decision.write["version"] == 5  # written only if nobody wrote since version 4 was read


def test_a_holder_not_started_yet_is_given_the_start_grace():
    starting = held_by(OTHER, acquired=NOW - 30)
    assert decide(starting, request(), NOW, LIMITS, holder_status=MISSING).verdict is Verdict.HELD
    crashed = held_by(OTHER, acquired=NOW - LIMITS.start_grace_seconds - 1)
    assert decide(crashed, request(), NOW, LIMITS, holder_status=MISSING).verdict is Verdict.GRANTED


def test_an_expired_lease_is_free_without_asking():
    decision = decide(held_by(OTHER, expires=NOW), request(), NOW, LIMITS)
    assert decision.verdict is Verdict.GRANTED


def test_a_released_lease_is_free():
    record = LeaseRecord(version=2, holder=OTHER, held=False, expires_at=NOW + 99)
    assert decide(record, request(), NOW, LIMITS).verdict is Verdict.GRANTED


def test_past_the_attempt_bound_the_trigger_only_alerts():
    record = LeaseRecord(version=1, attempts=attempts(100, 200, 300))
    decision = decide(record, request(), NOW, LIMITS)
    assert decision.verdict is Verdict.GRANTED and decision.action == "notify"
    assert "attempt bound (3) is reached" in decision.reason and "next attempt is allowed in" in decision.reason
    # Once alerted, the next trigger within the re-alert interval does nothing at all.
    notified = LeaseRecord(version=2, attempts=(*attempts(100, 200, 300), *attempts(50, action="notify")))
    assert decide(notified, request(), NOW, LIMITS).verdict is Verdict.ALREADY_NOTIFIED


def test_attempts_outside_the_window_or_of_another_instance_do_not_count():
    old = attempts(LIMITS.attempt_window_seconds + 1, LIMITS.attempt_window_seconds + 2, 10)
    other = attempts(1, 2, 3, instance="2027-01-01T00:00:00+00:00")
    for record in (LeaseRecord(attempts=old), LeaseRecord(attempts=other)):
        assert decide(record, request(), NOW, LIMITS).action == "remediate"


def test_notify_realerts_once_per_interval():
    recent = LeaseRecord(attempts=attempts(3600, action="notify"))
    assert decide(recent, request("notify", trigger="sweep"), NOW, LIMITS).verdict is Verdict.ALREADY_NOTIFIED
    day_old = LeaseRecord(attempts=attempts(LIMITS.realert_seconds + 1, action="notify"))
    assert decide(day_old, request("notify", trigger="sweep"), NOW, LIMITS).verdict is Verdict.GRANTED


def test_a_person_starting_an_execution_is_not_bounded():
    record = LeaseRecord(attempts=attempts(1, 2, 3))
    decision = decide(record, request(enforce=False, trigger="manual"), NOW, LIMITS)
    assert decision.verdict is Verdict.GRANTED and decision.action == "remediate"


def test_blocked_is_realerted_only_for_new_findings_or_after_the_interval():
    fingerprint = findings_fingerprint(["subnet is public", "no endpoint"])
    assert fingerprint == findings_fingerprint(["no endpoint", "subnet is public"])  # order does not matter
    previous = {"instance": INSTANCE, "fingerprint": fingerprint, "alerted_at": NOW - 600}
    alert, why = should_alert_blocked(previous, INSTANCE, fingerprint, NOW, LIMITS)
    assert not alert and "same preflight findings" in why
    assert should_alert_blocked(previous, INSTANCE, findings_fingerprint(["other"]), NOW, LIMITS)[0]
    assert should_alert_blocked(previous, "another-instance", fingerprint, NOW, LIMITS)[0]
    assert should_alert_blocked(previous, INSTANCE, fingerprint, NOW + LIMITS.realert_seconds, LIMITS)[0]
    assert should_alert_blocked(None, INSTANCE, fingerprint, NOW, LIMITS)[0]


def test_a_recheck_of_a_recently_blocked_instance_is_flagged_so_the_trigger_does_not_announce_it():
    blocked = {"instance": INSTANCE, "fingerprint": "f", "alerted_at": NOW - 600}
    assert decide(LeaseRecord(blocked=blocked), request(), NOW, LIMITS).blocked_recently
    assert not decide(LeaseRecord(blocked={**blocked, "instance": "another"}), request(), NOW, LIMITS).blocked_recently
    stale = {**blocked, "alerted_at": NOW - LIMITS.realert_seconds}
    assert not decide(LeaseRecord(blocked=stale), request(), NOW, LIMITS).blocked_recently
    assert not decide(LeaseRecord(), request(), NOW, LIMITS).blocked_recently


def test_a_notify_after_a_recent_blocked_alert_of_the_same_instance_is_already_notified():
    blocked = {"instance": INSTANCE, "fingerprint": "f", "alerted_at": NOW - 600}
    decision = decide(LeaseRecord(blocked=blocked), request(action="notify", trigger="sweep"), NOW, LIMITS)
    assert decision.verdict is Verdict.ALREADY_NOTIFIED
    stale = {**blocked, "alerted_at": NOW - LIMITS.realert_seconds}
    assert decide(LeaseRecord(blocked=stale), request(action="notify"), NOW, LIMITS).verdict is Verdict.GRANTED


def test_release_keeps_the_history_as_long_as_the_bounds_look_back():
    values = release_values(Release("blocked", "f" * 32, INSTANCE), NOW, LIMITS)
    assert values["held"] is False and values["last_outcome"] == "blocked"
    assert values["expires_at"] == NOW + LIMITS.history_seconds
    assert json.loads(values["blocked"]) == {"instance": INSTANCE, "fingerprint": "f" * 32, "alerted_at": NOW}
    assert "blocked" not in release_values(Release("remediated"), NOW, LIMITS)


def test_the_item_round_trips():
    attempt = {"at": NOW, "instance": INSTANCE, "action": "notify", "trigger": "sweep", "execution": ME}
    item = {
        "version": 3,
        "holder": ME,
        "held": True,
        "acquired_at": NOW,
        "expires_at": NOW + 5,
        "attempts": json.dumps([attempt]),
        "delete_snapshot": json.dumps({"uri": "s3://b/k"}),
    }
    record = LeaseRecord.from_item(item)
    assert record.active(NOW) and record.attempts[0].action == "notify"
    assert record.delete_snapshot == {"uri": "s3://b/k"}
    assert LeaseRecord.from_item(None) == LeaseRecord()

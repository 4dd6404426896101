"""Time and state transitions one remediation costs on a simulated timeline, measured from the execution history.

Timeline (virtual clock): the notebook is caught while Pending for 5 minutes, stopping takes 2 minutes, deleting
2, creating 6: AWS's own 15 minutes. With SageMaker's events delivered (EventBridge's latency taken as 1 s), every
wait is one callback task answered by the event: the remediation takes AWS's time plus the latency per wait, and no
state is entered twice. The same file without its callback tasks (``polling_only``: the workflow before its waits
listened for events) is pinned in test_transitions_polling.py, for the comparison `make bench` prints. These are
behaviours, not timings: the numbers are counts and virtual seconds, quoted in docs/workflow.md and
docs/performance.md; if the state machine changes, update them.
"""

from __future__ import annotations

from notebook_guard.domain.waits import WaitSchedule
from notebook_guard_local.bench.workflow import AWS_SECONDS, CREATE_SECONDS, TIMELINE, WAITS_PER_REMEDIATION, measure

EVENT_DRIVEN = (28, 14, 0)
LATENCY = 1.0  # fake.events.Delivery's default


def test_with_events_each_wait_ends_on_its_event_and_no_state_is_entered_twice(shared_harness):
    run = measure(shared_harness, "timeline-events", WaitSchedule())
    assert (run.transitions, run.lambda_invocations, run.wait_states) == EVENT_DRIVEN
    assert run.repeats == 0 and run.polls == 0
    assert run.resumed_by == {"event": WAITS_PER_REMEDIATION}
    # As fast as AWS itself: its transition times plus the event's latency per wait.
    assert run.simulated_seconds == AWS_SECONDS + WAITS_PER_REMEDIATION * LATENCY


def test_with_every_event_lost_the_reconciler_ends_the_waits(shared_harness):
    run = measure(shared_harness, "timeline-reconciled", WaitSchedule(), drop=1.0)
    assert "event" not in run.resumed_by and run.resumed_by.get("reconciler", 0) >= 1
    assert run.repeats == 0


def test_with_every_event_lost_and_no_reconciler_each_wait_polls_after_its_heartbeat(shared_harness):
    schedule = WaitSchedule()
    run = measure(shared_harness, "timeline-unheard", schedule, drop=1.0, reconciler=False)
    assert run.resumed_by == {} and run.polls == WAITS_PER_REMEDIATION
    # Each wait listened for its heartbeat, then its first poll found the notebook there: within the wait's bound.
    listened = [schedule.heartbeat(u) for u in ("stable", "stopped", "gone", "in-service")]
    lasted = [TIMELINE["Pending"], TIMELINE["Stopping"], TIMELINE["Deleting"], CREATE_SECONDS]
    assert all(h > t for h, t in zip(listened, lasted, strict=True))
    assert run.simulated_seconds == sum(listened)
    assert max(listened) < schedule.bound_seconds


def test_events_cost_fewer_transitions_than_any_polling_schedule():
    from tests.workflow.test_transitions_polling import POLLING_ONLY

    assert EVENT_DRIVEN[0] * 2 <= min(t for t, _, _ in POLLING_ONLY.values())
    assert EVENT_DRIVEN[0] * 10 <= POLLING_ONLY["fixed 10 s"][0]

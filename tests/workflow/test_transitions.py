"""State transitions one remediation costs on a simulated timeline, measured from the execution history.

Timeline (virtual clock, advanced by the Wait states): the notebook is caught while Pending for 5 minutes,
stopping takes 2 minutes, deleting 2 minutes, creating 6 minutes. The numbers are pinned here and quoted in
docs/workflow.md; if the state machine changes, update both.
"""

from __future__ import annotations

import pytest

from notebook_guard.domain.waits import WaitSchedule

TIMELINE = {"Pending": 300, "Stopping": 120, "Deleting": 120}
CREATE_SECONDS = 360
SCHEDULES = {
    "default: 15 s, x1.5, capped at 60 s": WaitSchedule(),
    "15 s, x2, capped at 120 s": WaitSchedule(first_seconds=15, growth=2.0, max_interval_seconds=120),
    "fixed 30 s (like boto3's waiters)": WaitSchedule(first_seconds=30, growth=1.0, max_interval_seconds=30),
    "fixed 10 s": WaitSchedule(first_seconds=10, growth=1.0, max_interval_seconds=10),
}
EXPECTED = {  # schedule -> (state transitions, Lambda invocations, Wait states)
    "default: 15 s, x1.5, capped at 60 s": (90, 35, 23),
    "15 s, x2, capped at 120 s": (78, 31, 19),
    "fixed 30 s (like boto3's waiters)": (111, 42, 30),
    "fixed 10 s": (291, 102, 90),
}


def measure(harness, name: str, schedule: WaitSchedule) -> tuple[int, int, int, float]:
    harness.fake.timeline.seconds.update(TIMELINE)
    harness.create_notebook(name, "Pending")
    harness.fake.timeline.seconds["Pending"] = CREATE_SECONDS  # the recreated notebook's creation
    start = harness.fake.clock.now
    execution = harness.run(name, waits=schedule.to_dict())
    assert execution.status == "SUCCEEDED", (execution.error, execution.cause)
    tasks = sum(1 for e in execution.events if e["type"] == "TaskStateEntered")
    waits = sum(1 for e in execution.events if e["type"] == "WaitStateEntered")
    return execution.transitions, tasks, waits, harness.fake.clock.now - start


@pytest.mark.parametrize("label", list(SCHEDULES))
def test_transitions_per_remediation(shared_harness, label):
    shared_harness.fake.timeline.polls = {state: 10**9 for state in ("Pending", "Stopping", "Deleting", "Updating")}
    name = "timeline-" + str(list(SCHEDULES).index(label))
    transitions, tasks, waits, elapsed = measure(shared_harness, name, SCHEDULES[label])
    print(f"\n| {label} | {transitions} | {tasks} | {waits} | {elapsed / 60:.1f} min |")
    assert (transitions, tasks, waits) == EXPECTED[label]

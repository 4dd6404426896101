"""State transitions one remediation costs on a simulated timeline, measured from the execution history.

Timeline (virtual clock, advanced by the Wait states): the notebook is caught while Pending for 5 minutes,
stopping takes 2 minutes, deleting 2 minutes, creating 6 minutes. The numbers are pinned here and quoted in
docs/workflow.md; if the state machine changes, update both.
"""

from __future__ import annotations

import pytest

from notebook_guard.domain.waits import WaitSchedule
from notebook_guard_local.bench.workflow import measure

SCHEDULES = {
    "default: 60 s, x2, capped at 180 s": WaitSchedule(),
    "15 s, x1.5, capped at 60 s": WaitSchedule(first_seconds=15, growth=1.5, max_interval_seconds=60),
    "fixed 30 s (like boto3's waiters)": WaitSchedule(first_seconds=30, growth=1.0, max_interval_seconds=30),
    "fixed 10 s": WaitSchedule(first_seconds=10, growth=1.0, max_interval_seconds=10),
}
EXPECTED = {  # schedule -> (state transitions, Lambda invocations, Wait states)
    "default: 60 s, x2, capped at 180 s": (58, 24, 10),
    "15 s, x1.5, capped at 60 s": (97, 37, 23),
    "fixed 30 s (like boto3's waiters)": (118, 44, 30),
    "fixed 10 s": (298, 104, 90),
}


@pytest.mark.parametrize("label", list(SCHEDULES))
def test_transitions_per_remediation(shared_harness, label):
    name = "timeline-" + str(list(SCHEDULES).index(label))
    run = measure(shared_harness, name, SCHEDULES[label])
    print(f"\n| {label} | {run.transitions} | {run.lambda_invocations} | {run.wait_states} |")
    assert (run.transitions, run.lambda_invocations, run.wait_states) == EXPECTED[label]


def test_a_remediation_costs_at_most_a_fifth_of_fixed_10_second_polling():
    ours, fixed = EXPECTED["default: 60 s, x2, capped at 180 s"][0], EXPECTED["fixed 10 s"][0]
    assert ours * 5 <= fixed

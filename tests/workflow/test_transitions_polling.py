"""The same state machine without its callback waits (each wait goes straight to its polling loop: the workflow
before its waits listened for SageMaker's events), on the timeline of test_transitions.py: the baseline `make bench`
compares with. Its own module: it needs a harness of its own (one state machine per moto account)."""

from __future__ import annotations

import pytest

from notebook_guard.domain.waits import WaitSchedule
from notebook_guard_local.bench.workflow import measure
from notebook_guard_local.workflow_harness import harness_context

SCHEDULES = {
    "default: 60 s, x2, capped at 180 s": WaitSchedule(),
    "15 s, x1.5, capped at 60 s": WaitSchedule(first_seconds=15, growth=1.5, max_interval_seconds=60),
    "fixed 30 s (like boto3's waiters)": WaitSchedule(first_seconds=30, growth=1.0, max_interval_seconds=30),
    "fixed 10 s": WaitSchedule(first_seconds=10, growth=1.0, max_interval_seconds=10),
}
POLLING_ONLY = {  # schedule -> (state transitions, Lambda invocations, Wait states)
    "default: 60 s, x2, capped at 180 s": (58, 24, 10),
    "15 s, x1.5, capped at 60 s": (97, 37, 23),
    "fixed 30 s (like boto3's waiters)": (118, 44, 30),
    "fixed 10 s": (298, 104, 90),
}


@pytest.fixture(scope="module")
def polling_harness():
    with harness_context(polling_only=True) as harness:
        yield harness


@pytest.mark.parametrize("label", list(SCHEDULES))
def test_transitions_per_remediation_when_polling_only(polling_harness, label):
    name = "timeline-" + str(list(SCHEDULES).index(label))
    run = measure(polling_harness, name, SCHEDULES[label], drop=1.0, reconciler=False)
    print(f"\n| {label} | {run.transitions} | {run.lambda_invocations} | {run.wait_states} |")
    assert (run.transitions, run.lambda_invocations, run.wait_states) == POLLING_ONLY[label]

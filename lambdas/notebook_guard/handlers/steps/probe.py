"""Probe: read the notebook's state and tell the wait loop whether to go on, wait longer, or give up.

The loop is the fallback of a wait's callback task: its first poll follows the task's timeout (or failure), and
counts the time the task listened (``waits.after_callback``), so the wait's overall bound holds.
"""

from __future__ import annotations

from notebook_guard.aws import sagemaker
from notebook_guard.domain.waits import WaitSchedule, after_callback, judge
from notebook_guard.handlers.steps.common import step
from notebook_guard.settings import get_settings


@step
def handler(event: dict) -> dict:
    settings = get_settings()
    describe = sagemaker.describe_notebook(event["notebook_name"], settings.region)
    state = describe["NotebookInstanceStatus"] if describe else None
    reason = describe.get("FailureReason") if describe else "the notebook no longer exists"
    schedule = WaitSchedule.from_dict(event.get("waits"), settings.wait_schedule)
    previous = after_callback(event.get("previous"), event["until"], schedule)
    return judge(event["until"], state, previous, schedule, reason).to_dict()

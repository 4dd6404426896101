"""Await: the callback task of every wait. Register the wait, then answer it at once if the notebook is there.

Invoked by ``arn:aws:states:::lambda:invoke.waitForTaskToken`` with the task token in its payload; its own return
value is not the task's output (the token's answer is). Order matters: the record is written *before* the
Describe, so a transition that happens after the Describe finds the record (its event resumes the task), and one
that happened before it is seen by the Describe (this step answers the task itself): no event can slip between.
The event carries the token: it is never logged (``log_event=False``), and nothing here returns or raises it.
"""

from __future__ import annotations

from notebook_guard.domain.callbacks import REGISTRATION, WaitRecord
from notebook_guard.domain.waits import WaitSchedule
from notebook_guard.handlers.steps.common import step
from notebook_guard.services.callbacks import Waits
from notebook_guard.settings import get_settings


@step(log_event=False)
def handler(event: dict) -> dict:
    settings = get_settings()
    schedule = WaitSchedule.from_dict(event.get("waits"), settings.wait_schedule)
    waits = Waits(settings)
    record = WaitRecord.new(
        notebook_arn=event["notebook_arn"],
        notebook_name=event["notebook_name"],
        until=event["until"],
        execution_id=event.get("execution_id") or "",
        incarnation=event.get("incarnation"),
        token=event.get("token") or "",
        now=waits.now(),
        schedule=schedule,
    )
    waits.register(record)
    outcome = waits.resolve(record, REGISTRATION, schedule)
    return {"until": record.until, "registered_at": record.registered_at, "outcome": outcome}

"""Callback waits: what a wait registers, and whether what SageMaker shows now ends it. Pure.

A wait of the workflow is a callback task (``.waitForTaskToken``): it registers a ``WaitRecord`` for its
notebook in the coordination table, then Step Functions holds the task until someone sends the task token back.
Three parties may do so, and each of them first Describes the notebook (an event is a hint, never the truth):
the wait itself right after registering (the notebook may already be there: no race with an early event), the
resume function on each SageMaker state-change event, and the reconciler on its schedule (events are best
effort). ``verdict`` decides from that Describe; the answer sent back is the same ``Poll`` the polling loop
produces, so the state machine's Choice after the wait reads both alike.

The token is a credential for the task: it lives in the record and in the request that sends it back, never in
a log line, an audit record or an alert (``WaitRecord.public`` leaves it out; ``repr`` hides it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from notebook_guard.domain.waits import GONE, TARGETS, WaitSchedule, judge

# A record outlives its task's heartbeat by this much before it counts as expired (and its TTL deletes it): late
# events can still find it and learn, by the answer to the token, that the wait is over.
EXPIRY_MARGIN_SECONDS = 3600
# Who ended a wait (``resumed_by`` in the answer): a record of how the workflow learnt of each transition.
REGISTRATION = "registration"
EVENT = "event"
RECONCILER = "reconciler"


class Decision(Enum):
    COMPLETE = "complete"  # the target is reached, or can no longer be: send the verdict back
    NOT_YET = "not-yet"  # still on the way: keep waiting
    OTHER_INCARNATION = "other-incarnation"  # the name now belongs to another notebook: not this wait's business
    EXPIRED = "expired"  # the task gave up long ago: forget the record


@dataclass(frozen=True)
class WaitRecord:
    notebook_arn: str
    notebook_name: str
    until: str  # a target of domain.waits
    execution_id: str
    incarnation: str | None  # CreationTime of the notebook waited on; None: any (a replacement not yet known)
    registered_at: int  # epoch seconds
    expires_at: int  # epoch seconds; also the item's TTL
    token: str = field(default="", repr=False)

    @classmethod
    def new(
        cls,
        *,
        notebook_arn: str,
        notebook_name: str,
        until: str,
        execution_id: str,
        incarnation: str | None,
        token: str,
        now: int,
        schedule: WaitSchedule,
    ) -> WaitRecord:
        if until not in TARGETS:
            raise ValueError(f"unknown wait target {until!r}")
        if not token:
            raise ValueError("a callback wait needs its task token")
        expires = now + schedule.heartbeat(until) + EXPIRY_MARGIN_SECONDS
        return cls(notebook_arn, notebook_name, until, execution_id, incarnation, now, expires, token)

    def to_item(self) -> dict:
        """The attributes stored (the key is the caller's: the notebook's partition, sort key "wait")."""
        item = {
            "notebook_arn": self.notebook_arn,
            "notebook_name": self.notebook_name,
            "until": self.until,
            "execution_id": self.execution_id,
            "registered_at": self.registered_at,
            "expires_at": self.expires_at,
            "token": self.token,
        }
        if self.incarnation:
            item["incarnation"] = self.incarnation
        return item

    @classmethod
    def from_item(cls, item: dict | None) -> WaitRecord | None:
        """The record an item holds; None when there is none or it is not one (a malformed item is not acted on)."""
        if not item:
            return None
        try:
            record = cls(
                notebook_arn=str(item["notebook_arn"]),
                notebook_name=str(item["notebook_name"]),
                until=str(item["until"]),
                execution_id=str(item.get("execution_id") or ""),
                incarnation=str(item["incarnation"]) if item.get("incarnation") else None,
                registered_at=int(item["registered_at"]),
                expires_at=int(item["expires_at"]),
                token=str(item["token"]),
            )
        except (KeyError, TypeError, ValueError):
            return None
        return record if record.until in TARGETS and record.token else None

    def public(self) -> dict:
        """What may be logged: everything but the token."""
        return {k: v for k, v in self.to_item().items() if k != "token"}


@dataclass(frozen=True)
class Verdict:
    decision: Decision
    reason: str
    answer: dict | None = None  # the task's output when COMPLETE: a Poll, plus who resumed it


def verdict(
    record: WaitRecord,
    state: str | None,
    creation_time: str | None,
    now: int,
    schedule: WaitSchedule,
    resumed_by: str,
    failure_reason: str | None = None,
) -> Verdict:
    """Whether the notebook as Describe shows it now (``state`` None: RecordNotFound) ends ``record``'s wait."""
    if now >= record.expires_at:
        expired = f"the wait registered at {record.registered_at} expired at {record.expires_at}"
        return Verdict(Decision.EXPIRED, expired)
    # A wait for "gone" ends when the name is free of the notebook deleted, whatever holds it next; every other wait
    # is about one incarnation of the name (deleted and recreated by someone else meanwhile: not ours).
    if record.until != GONE and record.incarnation and state is not None and creation_time != record.incarnation:
        return Verdict(
            Decision.OTHER_INCARNATION,
            f"the notebook named {record.notebook_name} was created at {creation_time}; the wait is for the one "
            f"created at {record.incarnation}",
        )
    elapsed = max(0, now - record.registered_at)
    poll = judge(record.until, state, {"until": record.until, "count": 0, "waited": elapsed}, schedule, failure_reason)
    if not (poll.done or poll.failed):
        return Verdict(Decision.NOT_YET, f"{state} is not the end of the wait until {record.until}")
    # Nothing is left to wait for after the answer: no next wait, not stuck.
    answer = {**poll.to_dict(), "next_wait": 0, "stuck": False, "waited": elapsed, "resumed_by": resumed_by}
    return Verdict(Decision.COMPLETE, f"{poll.state} ends the wait until {record.until}", answer)

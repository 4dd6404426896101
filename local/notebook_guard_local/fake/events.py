"""SageMaker's state-change events from the notebook fake, delivered as EventBridge delivers them, to the resume
function; and the resume function's reconciler schedule. All on the simulation's virtual clock.

On every status change the fake reports (``FakeNotebooks.listeners``) a ``SageMaker Notebook Instance State
Change`` event is made from the notebook as it is then (Describe's fields, times in epoch milliseconds, tags as a
map, as AWS's samples show), and, after EventBridge's latency, put on moto's default event bus, where the stack's
rule for the waits (``models.events.WAIT_EVENTS_PATTERN``) routes it to an SQS queue; the queue is drained into the
resume function, run in this process as its role (``acting_as``: the enforcement checks its calls), the way
EventBridge invokes it: asynchronously, retried after a failure (twice, a minute and two apart, as Lambda retries an
asynchronous invocation), then given up.

AWS delivers these events best effort, possibly several per change, unordered (aws-facts.md; "SageMaker AI may
send multiple events to EventBridge for each state change", SageMaker developer guide, "Events that Amazon
SageMaker AI sends to Amazon EventBridge"). ``Delivery`` makes that happen on purpose: drop, duplicate, delay,
reorder, and a resume function that crashes. Whether SageMaker sends an event when a deletion completes is not
confirmed in AWS's documentation; the fake sends ``Deleted`` (aws-facts.md names it), and the reconciler and the
polling fallback do not depend on it.

moto's delivery to SQS leaves ``account`` out of the event; AWS always sets it, so the queue's reader restores it.
"""

from __future__ import annotations

import json
import random
import uuid
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from notebook_guard.aws import clients
from notebook_guard.models.events import SCHEDULED_DETAIL_TYPE, STATE_CHANGE_DETAIL_TYPE, WAIT_EVENTS_PATTERN
from notebook_guard_local.fake.clock import VirtualClock
from notebook_guard_local.fake.enforcement import DEFAULT_ACCOUNT, acting_as

RULE = "notebook-guard-wait-events"
QUEUE = "notebook-guard-wait-events"
RESUME_FUNCTION = "notebook-guard-resume"
# Lambda retries a failed asynchronous invocation twice, about a minute and then two after the first.
RETRY_DELAYS = (60.0, 120.0)


@dataclass(frozen=True)
class Delivery:
    """How the simulated EventBridge delivers (probabilities from 0 to 1, seconds of virtual time)."""

    latency_seconds: float = 1.0  # "near real time" (SageMaker developer guide)
    drop: float = 0.0  # an event is lost
    duplicate: float = 0.0  # an event arrives twice
    delay_seconds: float = 0.0  # every event arrives this much later (stale events)
    reorder_window_seconds: float = 0.0  # events within a window arrive newest first, at the window's end
    crash: float = 0.0  # an invocation of the resume function fails before it does anything
    reconciler: bool = True  # the schedule runs
    seed: int = 13


@dataclass
class StateChangeEvents:
    fake: object  # FakeNotebooks
    clock: VirtualClock
    region: str
    account: str = DEFAULT_ACCOUNT
    role: str = "notebook-guard-resume"
    delivery: Delivery = field(default_factory=Delivery)
    reconcile_seconds: float = 300.0  # rate(5 minutes)
    counts: Counter = field(default_factory=Counter)
    outcomes: Counter = field(default_factory=Counter)  # what the resume function answered

    def __post_init__(self) -> None:
        self._random = random.Random(self.delivery.seed)
        self._held: list[dict] = []
        self._queue_url: str | None = None
        self._installed = False

    # Set-up --------------------------------------------------------------------------------------------------------
    def install(self) -> StateChangeEvents:
        """Create the rule and its queue (through the API, like the stack), listen to the fake, start the schedule."""
        sqs = clients.client("sqs", self.region)
        self._queue_url = sqs.create_queue(QueueName=QUEUE)["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=self._queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        events = clients.client("events", self.region)
        events.put_rule(Name=RULE, EventPattern=json.dumps(WAIT_EVENTS_PATTERN), State="ENABLED")
        events.put_targets(Rule=RULE, Targets=[{"Id": "resume", "Arn": queue_arn}])
        if not self._installed:
            self.fake.listeners.append(self.emitted)
            self._installed = True
        self.restart()
        return self

    def restart(self, **delivery) -> None:
        """Start afresh (after the clock's timers were cleared): new delivery settings, counts at zero."""
        self.delivery = replace(self.delivery, **delivery)
        self._random = random.Random(self.delivery.seed)
        self._held.clear()
        self.counts.clear()
        self.outcomes.clear()
        self._schedule_reconciler()

    # SageMaker's side ------------------------------------------------------------------------------------------------
    def emitted(self, snapshot: dict) -> None:
        """A status change (the fake's lock is held: only schedule)."""
        self.counts["emitted"] += 1
        if self._random.random() < self.delivery.drop:
            self.counts["dropped"] += 1
            return
        copies = 2 if self._random.random() < self.delivery.duplicate else 1
        self.counts["duplicated"] += copies - 1
        entry = {
            "Source": WAIT_EVENTS_PATTERN["source"][0],
            "DetailType": STATE_CHANGE_DETAIL_TYPE,
            "Detail": json.dumps(snapshot, default=str),
            "Resources": [snapshot["NotebookInstanceArn"]],
        }
        if self.delivery.reorder_window_seconds > 0:
            if not self._held:
                self.clock.schedule(self.clock.now + self.delivery.reorder_window_seconds, self._release_held)
            self._held += [entry] * copies
            return
        for copy in range(copies):
            at = self.clock.now + self.delivery.latency_seconds + self.delivery.delay_seconds + copy * 0.5
            self.clock.schedule(at, lambda entry=entry: self.put(entry))

    def _release_held(self) -> None:
        held, self._held = list(reversed(self._held)), []
        self.counts["reordered"] += len(held)
        for entry in held:
            at = self.clock.now + self.delivery.latency_seconds + self.delivery.delay_seconds
            self.clock.schedule(at, lambda entry=entry: self.put(entry))

    # EventBridge's side ----------------------------------------------------------------------------------------------
    def put(self, entry: dict) -> None:
        """Put the event on the default bus (as SageMaker does: no principal of ours) and deliver what the rule
        routed to the queue."""
        failed = clients.client("events", self.region).put_events(Entries=[entry])["FailedEntryCount"]
        if failed:
            raise RuntimeError(f"EventBridge refused a state-change event: {entry['Detail'][:200]}")
        self.counts["put"] += 1
        self.drain()

    def drain(self) -> None:
        sqs = clients.client("sqs", self.region)
        while messages := sqs.receive_message(QueueUrl=self._queue_url, MaxNumberOfMessages=10).get("Messages"):
            for message in messages:
                sqs.delete_message(QueueUrl=self._queue_url, ReceiptHandle=message["ReceiptHandle"])
                event = json.loads(message["Body"])
                event.setdefault("account", self.account)  # moto leaves it out; AWS always sets it
                self.counts["delivered"] += 1
                self.invoke(event)

    def invoke(self, event: dict, attempt: int = 1) -> None:
        """The resume function, invoked asynchronously: a failure is retried later, then the event is given up."""
        from notebook_guard.handlers import resume
        from notebook_guard.settings import get_settings
        from notebook_guard_local.workflow_runner import lambda_context

        try:
            if self._random.random() < self.delivery.crash:
                raise RuntimeError("the resume function crashed (simulated)")
            get_settings.cache_clear()
            arn = f"arn:aws:lambda:{self.region}:{self.account}:function:{RESUME_FUNCTION}"
            with acting_as(self.role):
                result = resume.handler(event, lambda_context(RESUME_FUNCTION, arn))
            self.outcomes[result.get("outcome", "?")] += 1
        except Exception:  # the Lambda service's view: the invocation failed
            self.counts["crashed"] += 1
            if attempt > len(RETRY_DELAYS):
                self.counts["given-up"] += 1
                return
            delay = RETRY_DELAYS[attempt - 1]
            self.clock.schedule(self.clock.now + delay, lambda: self.invoke(event, attempt + 1))

    # The reconciler's schedule ------------------------------------------------------------------------------------
    def _schedule_reconciler(self, first: bool = True) -> None:
        """The schedule's next run; its first comes at a random point of the period (a deployed schedule's phase
        has nothing to do with when a remediation starts)."""
        if self.delivery.reconciler and self.reconcile_seconds:
            after = self._random.uniform(0, self.reconcile_seconds) if first else self.reconcile_seconds
            self.clock.schedule(self.clock.now + after, self._reconcile)

    def _reconcile(self) -> None:
        if not self.delivery.reconciler:
            return
        self.counts["reconciled"] += 1
        self.invoke(self.scheduled_event())
        self._schedule_reconciler(first=False)

    def scheduled_event(self) -> dict:
        """What an EventBridge schedule sends its target."""
        return {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": SCHEDULED_DETAIL_TYPE,
            "source": "aws.events",
            "account": self.account,
            "time": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
            "region": self.region,
            "resources": [f"arn:aws:events:{self.region}:{self.account}:rule/notebook-guard-reconcile"],
            "detail": {},
        }

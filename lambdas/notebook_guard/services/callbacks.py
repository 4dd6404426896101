"""Callback waits in the coordination table: register a wait, find it, resolve it, forget it.

One record per notebook (partition ``notebook#<ARN>``, sort key ``wait``): a workflow waits on one thing at a
time, and the lease gives a notebook one workflow, so a new wait replaces the record of the last. ``resolve``
is the one place that turns a Describe into an answer to the task: the wait step (right after registering), the
resume function (on a state-change event) and the reconciler (on its schedule) all go through it, so they
cannot disagree. Tokens of tasks that are no longer waiting (timed out into the polling fallback, answered by
someone else first, or of an ended execution) are treated as done, and the record is deleted only if it still
holds the token answered (a newer wait of the same notebook is left alone).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass

from botocore.exceptions import ClientError

from notebook_guard.aws import dynamodb, sagemaker, stepfunctions
from notebook_guard.aws.errors import error_code
from notebook_guard.domain.callbacks import Decision, WaitRecord, verdict
from notebook_guard.domain.errors import LeaseLost
from notebook_guard.domain.waits import WaitSchedule
from notebook_guard.handlers.observability import logger
from notebook_guard.services.coordination import notebook_key
from notebook_guard.services.snapshots import creation_time_of
from notebook_guard.settings import Settings
from notebook_guard.workflow_steps import COORDINATION_SORT_KEY

WAIT = "wait"
# Attributes a record may leave out: an earlier record's value must not survive into the next one.
OPTIONAL_ATTRIBUTES = ("incarnation",)

# What resolving a record came to (counted and logged by the callers).
COMPLETED = "completed"  # this call answered the task
ALREADY_CLOSED = "already-closed"  # the task had stopped waiting: nothing to answer
NOT_YET = "not-yet"
OTHER_INCARNATION = "other-incarnation"
EXPIRED = "expired"


@dataclass
class Waits:
    settings: Settings
    clock: object = time.time  # seconds since the epoch; a test may pass a virtual clock

    @property
    def table(self) -> str:
        if not self.settings.coordination_table:
            raise LeaseLost("NG_COORDINATION_TABLE is not set: no wait can be registered")
        return self.settings.coordination_table

    def now(self) -> int:
        return int(self.clock())

    def register(self, record: WaitRecord) -> None:
        """Store the wait, replacing the notebook's previous one whole (its task has ended: the lease gives a notebook
        one workflow, and a workflow waits on one thing at a time)."""
        key = notebook_key(record.notebook_arn, WAIT)
        item = record.to_item()
        absent = tuple(name for name in OPTIONAL_ATTRIBUTES if name not in item)
        dynamodb.update_item(self.table, key, set_values=item, remove=absent, region=self.settings.region)

    def find(self, notebook_arn: str) -> WaitRecord | None:
        item = dynamodb.get_item(self.table, notebook_key(notebook_arn, WAIT), self.settings.region)
        return WaitRecord.from_item(item)

    def pending(self) -> Iterator[WaitRecord]:
        """Every registered wait (the reconciler's list); malformed items are skipped."""
        for item in dynamodb.scan_by_sort_key(self.table, COORDINATION_SORT_KEY, WAIT, self.settings.region):
            record = WaitRecord.from_item(item)
            if record is not None:
                yield record

    def resolve(self, record: WaitRecord, resumed_by: str, schedule: WaitSchedule | None = None) -> str:
        """Describe the notebook and, if that ends the wait, answer the task and forget the record."""
        describe = sagemaker.describe_notebook(record.notebook_name, self.settings.region)
        state = describe["NotebookInstanceStatus"] if describe else None
        reason = describe.get("FailureReason") if describe else "the notebook no longer exists"
        found = verdict(
            record,
            state,
            creation_time_of(describe) if describe else None,
            self.now(),
            schedule or self.settings.wait_schedule,
            resumed_by,
            reason,
        )
        if found.decision is Decision.EXPIRED:
            self.forget(record)
            return EXPIRED
        if found.decision is Decision.NOT_YET:
            return NOT_YET
        if found.decision is Decision.OTHER_INCARNATION:
            return OTHER_INCARNATION
        try:
            answer = json.dumps(found.answer, sort_keys=True)
            stepfunctions.send_task_success(record.token, answer, self.settings.region)
            answered = True
        except ClientError as error:
            # Closed (timed out, answered by someone else, its execution ended): for a hint-driven wait, done.
            # Throttling and other errors are raised: the caller's retries apply.
            if error_code(error) not in stepfunctions.CLOSED_TOKEN_ERRORS:
                raise
            answered = False
        try:
            self.forget(record)
        except ClientError as error:
            # The task has its answer: a record left behind only costs a later reader a closed token (then it is
            # deleted) or expires with the table's TTL. Raising here would fail the wait step after its task ended.
            logger.warning("Could not delete an answered wait", extra={"wait": record.public(), "error": str(error)})
        return COMPLETED if answered else ALREADY_CLOSED

    def forget(self, record: WaitRecord) -> bool:
        """Delete the record if it still holds this wait's token (False: a newer wait replaced it, or it is gone)."""
        return dynamodb.delete_item(
            self.table,
            notebook_key(record.notebook_arn, WAIT),
            condition="#token = :token",
            condition_values={":token": record.token},
            region=self.settings.region,
        )

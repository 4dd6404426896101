"""The lease per notebook in the coordination table: acquire, confirm, mark, release.

Decisions are ``domain.lease``'s; this module reads the item, asks Step Functions about a holder when the
decision needs it, and writes conditionally on the version it read (optimistic locking): of two triggers racing
for one notebook exactly one write succeeds, the other re-reads and finds the lease held.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from notebook_guard.aws import dynamodb, stepfunctions
from notebook_guard.domain.errors import LeaseLost
from notebook_guard.domain.lease import Decision, LeaseRecord, Release, Request, Verdict, decide, release_values
from notebook_guard.settings import Settings
from notebook_guard.workflow_steps import (
    COORDINATION_PARTITION_KEY,
    COORDINATION_SORT_KEY,
    COORDINATION_TTL_ATTRIBUTE,
)

LEASE = "lease"
EXEMPTION = "exemption"
# Lost races before a trigger gives up and reports the lease as held (each loser re-reads the winner's write).
_RACES = 3


def notebook_key(notebook_arn: str, kind: str) -> dict[str, str]:
    return {COORDINATION_PARTITION_KEY: f"notebook#{notebook_arn}", COORDINATION_SORT_KEY: kind}


@dataclass
class Coordinator:
    settings: Settings
    clock: object = time.time  # seconds since the epoch; a test may pass a virtual clock

    @property
    def table(self) -> str:
        if not self.settings.coordination_table:
            raise LeaseLost("NG_COORDINATION_TABLE is not set: no workflow may act without a lease")
        return self.settings.coordination_table

    def now(self) -> int:
        return int(self.clock())

    def record(self, notebook_arn: str) -> LeaseRecord:
        item = dynamodb.get_item(self.table, notebook_key(notebook_arn, LEASE), self.settings.region)
        return LeaseRecord.from_item(item)

    def check(self, notebook_arn: str, request: Request) -> Decision:
        """What ``acquire`` would decide now, without writing: a read-only look at the lease (the command line's
        ``remediate`` refuses a notebook another execution holds before it starts anything)."""
        return self._decide(notebook_arn, request)[1]

    def _decide(self, notebook_arn: str, request: Request) -> tuple[LeaseRecord, Decision]:
        limits = self.settings.lease_limits
        record = self.record(notebook_arn)
        now = self.now()
        decision = decide(record, request, now, limits)
        if decision.verdict is Verdict.CHECK_HOLDER:
            status = stepfunctions.execution_status(record.holder, self.settings.region)
            decision = decide(record, request, now, limits, holder_status=status)
        return record, decision

    def acquire(self, notebook_arn: str, request: Request) -> Decision:
        """Acquire (or confirm) the notebook's lease for ``request.holder``; see ``domain.lease.decide``."""
        for _ in range(_RACES):
            record, decision = self._decide(notebook_arn, request)
            if decision.verdict is not Verdict.GRANTED or decision.write is None:
                return decision
            written = dynamodb.update_item(
                self.table,
                notebook_key(notebook_arn, LEASE),
                set_values=decision.write,
                # A new holder starts clean: the previous holder's delete/create marks are not its own.
                remove=("delete_issued", "delete_snapshot", "create_issued", "backup", "backup_verified"),
                condition="attribute_not_exists(#pk) OR #version = :read",
                condition_values={":read": record.version},
                region=self.settings.region,
            )
            if written:
                return decision
        record = self.record(notebook_arn)
        return Decision(Verdict.HELD, request.action, "lost the race for the lease", holder=record.holder)

    def mark(self, notebook_arn: str, holder: str, values: dict, require: dict | None = None) -> None:
        """Write ``values`` on the lease only while ``holder`` holds it (and ``require`` attributes match).

        Raises ``LeaseLost`` otherwise: a step about to destroy or create must still be the one workflow.
        """
        condition = "#holder = :holder AND #held = :held"
        condition_values: dict = {":holder": holder, ":held": True}
        for index, (name, value) in enumerate((require or {}).items()):
            condition += f" AND #{name} = :require{index}"
            condition_values[f":require{index}"] = value
        written = dynamodb.update_item(
            self.table,
            notebook_key(notebook_arn, LEASE),
            set_values={k: json.dumps(v, sort_keys=True) if isinstance(v, dict) else v for k, v in values.items()},
            condition=condition,
            condition_values=condition_values,
            region=self.settings.region,
        )
        if not written:
            raise LeaseLost(f"execution {holder} no longer holds the lease of {notebook_arn}: refusing to go on")

    def release(self, notebook_arn: str, holder: str, release: Release) -> bool:
        """Release the lease if ``holder`` holds it; False when it does not (then there is nothing to release)."""
        values = release_values(release, self.now(), self.settings.lease_limits)
        return dynamodb.update_item(
            self.table,
            notebook_key(notebook_arn, LEASE),
            set_values=values,
            condition="#holder = :holder AND #held = :held",
            condition_values={":holder": holder, ":held": True},
            region=self.settings.region,
        )

    def lock(self, name: str, holder: str, seconds: int) -> bool:
        """Take a short lock (``name``) for ``holder``; False while another holder's has not expired."""
        now = self.now()
        return dynamodb.update_item(
            self.table,
            {COORDINATION_PARTITION_KEY: f"lock#{name}", COORDINATION_SORT_KEY: "lock"},
            set_values={"holder": holder, COORDINATION_TTL_ATTRIBUTE: now + seconds},
            condition="attribute_not_exists(#holder) OR #holder = :holder OR #expires_at < :now",
            condition_values={":holder": holder, ":now": now},
            region=self.settings.region,
        )

    def unlock(self, name: str, holder: str) -> None:
        """Release the lock if ``holder`` holds it (expired: it is anybody's anyway)."""
        dynamodb.update_item(
            self.table,
            {COORDINATION_PARTITION_KEY: f"lock#{name}", COORDINATION_SORT_KEY: "lock"},
            set_values={COORDINATION_TTL_ATTRIBUTE: 0},
            condition="#holder = :holder",
            condition_values={":holder": holder},
            region=self.settings.region,
        )

    def announce_exemption(self, notebook_arn: str, fingerprint: str) -> bool:
        """Mark this exemption as announced; False when it already was (so exactly one alert goes out)."""
        return dynamodb.update_item(
            self.table,
            notebook_key(notebook_arn, EXEMPTION),
            set_values={"fingerprint": fingerprint, "announced_at": self.now()},
            condition="attribute_not_exists(#fingerprint) OR #fingerprint <> :fingerprint",
            condition_values={":fingerprint": fingerprint},
            region=self.settings.region,
        )

    def withdraw_exemption(self, notebook_arn: str, fingerprint: str) -> None:
        """Undo ``announce_exemption`` when its alert could not be delivered (so the next trigger tries again)."""
        dynamodb.update_item(
            self.table,
            notebook_key(notebook_arn, EXEMPTION),
            set_values={"fingerprint": "", "announced_at": 0},
            condition="#fingerprint = :fingerprint",
            condition_values={":fingerprint": fingerprint},
            region=self.settings.region,
        )

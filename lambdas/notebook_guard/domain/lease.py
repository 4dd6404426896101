"""One workflow per notebook: the lease, the attempt bound and the re-alert schedule, decided in pure Python.

The lease is one item per notebook (keyed on its ARN, which every incarnation of the name shares) in the
coordination table. Whoever starts a workflow acquires it first, naming the execution that will hold it; the
workflow releases it on every terminal path. ``decide`` turns the item as it was read, the request and the
holder's status into a verdict and the values to write; ``services.coordination`` reads, asks Step Functions
about the holder when needed, and writes conditionally on the version it read, so two triggers racing for
one notebook cannot both win.

Attempts are counted per notebook *instance* (ARN + creation time), so a recreated notebook starts afresh:
- ``quarantine`` / ``remediate``: at most ``max_attempts`` per ``attempt_window_seconds``. Past the bound the
  trigger falls back to ``notify``, so the team hears that the notebook still violates but nothing loops.
- ``notify``: at most one alert per ``realert_seconds`` (the sweep runs hourly; the team hears daily).
- A notebook blocked again by the same preflight findings is alerted at most once per ``realert_seconds``
  (``should_alert_blocked``); each re-check is an attempt like any other.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from enum import StrEnum

from notebook_guard.domain.models import Action

# Statuses of a Step Functions execution that may still act on the notebook.
LIVE_STATUSES = frozenset({"RUNNING", "PENDING_REDRIVE"})
MISSING = "MISSING"  # DescribeExecution: ExecutionDoesNotExist
# Actions that change a notebook, and so count towards the attempt bound.
CHANGING_ACTIONS = frozenset({Action.QUARANTINE.value, Action.REMEDIATE.value})


@dataclass(frozen=True)
class Limits:
    max_attempts: int = 3
    attempt_window_seconds: int = 86400
    realert_seconds: int = 86400
    # How long a lease lasts when nobody releases it: the state machine's own timeout (an execution cannot
    # hold it past that) plus a margin. DynamoDB's TTL removes the item some time later; ``decide`` does not
    # wait for that, it compares ``expires_at`` itself.
    lease_seconds: int = 172800 + 3600
    # A holder that does not exist yet may be between "acquire" and StartExecution (a Lambda's lifetime).
    start_grace_seconds: int = 900

    @property
    def history_seconds(self) -> int:
        return max(self.attempt_window_seconds, self.realert_seconds)


@dataclass(frozen=True)
class Attempt:
    at: int  # epoch seconds
    instance: str  # the notebook's creation time (ISO 8601)
    action: str
    trigger: str
    execution: str  # execution ARN


@dataclass(frozen=True)
class LeaseRecord:
    """The lease item as read (``from_item``), or an empty one when the notebook has none yet."""

    version: int = 0
    holder: str | None = None
    held: bool = False
    acquired_at: int = 0
    expires_at: int = 0
    attempts: tuple[Attempt, ...] = ()
    blocked: dict | None = None  # {"instance", "fingerprint", "alerted_at"}: the last blocked alert sent
    delete_issued: str | None = None  # execution that called DeleteNotebookInstance under this lease
    delete_snapshot: dict | None = None  # the snapshot that execution verified right before deleting
    create_issued: str | None = None  # execution that called CreateNotebookInstance under this lease

    @classmethod
    def from_item(cls, item: dict | None) -> LeaseRecord:
        if not item:
            return cls()
        return cls(
            version=int(item.get("version", 0)),
            holder=item.get("holder"),
            held=bool(item.get("held", False)),
            acquired_at=int(item.get("acquired_at", 0)),
            expires_at=int(item.get("expires_at", 0)),
            attempts=tuple(Attempt(**a) for a in _json(item.get("attempts"), [])),
            blocked=_json(item.get("blocked"), None),
            delete_issued=item.get("delete_issued"),
            delete_snapshot=_json(item.get("delete_snapshot"), None),
            create_issued=item.get("create_issued"),
        )

    def active(self, now: int) -> bool:
        """Held by an execution, and not past its expiry."""
        return self.held and bool(self.holder) and self.expires_at > now


@dataclass(frozen=True)
class Request:
    holder: str  # the execution ARN that will hold the lease
    instance: str  # creation time of the notebook as evaluated
    action: str
    trigger: str
    enforce_bounds: bool = True  # False for an execution a person started, and for the workflow's own check


class Verdict(StrEnum):
    GRANTED = "granted"  # acquired (or confirmed: already ours); start or go on
    HELD = "held"  # another execution holds it and may still act: report ``duplicate``
    CHECK_HOLDER = "check-holder"  # ask Step Functions whether the holder still runs, then decide again
    ALREADY_NOTIFIED = "already-notified"  # notify only, and the notebook was alerted within realert_seconds


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    action: str  # the action to run (the requested one, or notify past the attempt bound)
    reason: str = ""
    holder: str | None = None  # who holds the lease when HELD
    write: dict | None = None  # attribute values to write when GRANTED and the item must change
    attempts_in_window: int = 0
    taken_over_from: str | None = None  # the previous holder, when its execution had ended without releasing
    # This notebook instance was alerted ``blocked`` within realert_seconds: its re-check will most likely be
    # blocked again and that alert stands, so the trigger does not announce the re-check (nor owe it an alert).
    blocked_recently: bool = False

    def to_dict(self) -> dict:
        data = asdict(self)
        data.pop("write")
        return data


@dataclass(frozen=True)
class Release:
    """What the workflow tells the lease when it ends."""

    outcome: str
    blocked_fingerprint: str | None = None  # the preflight findings, when the outcome is a blocked alert sent
    instance: str | None = None
    extra: dict = field(default_factory=dict)


def decide(
    record: LeaseRecord, request: Request, now: int, limits: Limits, holder_status: str | None = None
) -> Decision:
    """Whether ``request`` may hold the lease now, and what to write if so."""
    if record.active(now) and record.holder == request.holder:
        return Decision(Verdict.GRANTED, request.action, "already held by this execution")
    taken_over = None
    if record.active(now):
        if holder_status is None:
            return Decision(Verdict.CHECK_HOLDER, request.action, holder=record.holder)
        starting = holder_status == MISSING and now < record.acquired_at + limits.start_grace_seconds
        if holder_status in LIVE_STATUSES or starting:
            state = "is starting" if starting else f"is {holder_status}"
            return Decision(Verdict.HELD, request.action, f"execution {record.holder} {state}", holder=record.holder)
        taken_over = record.holder  # ended (or never started) without releasing: the lease may be taken over

    recent = _recent(record.attempts, now, limits.history_seconds)
    mine = [a for a in recent if a.instance == request.instance]
    action, reason = request.action, ""
    changing = [a for a in mine if a.action in CHANGING_ACTIONS and a.at > now - limits.attempt_window_seconds]
    if request.enforce_bounds and action in CHANGING_ACTIONS and len(changing) >= limits.max_attempts:
        action = Action.NOTIFY.value
        reason = (
            f"{len(changing)} {request.action}-type attempts on this notebook in the last "
            f"{_hours(limits.attempt_window_seconds)}: the attempt bound ({limits.max_attempts}) is reached, so "
            f"this trigger only alerts; the next attempt is allowed in "
            f"{min(a.at for a in changing) + limits.attempt_window_seconds - now} s"
        )
    blocked = record.blocked or {}
    blocked_at = int(blocked.get("alerted_at", 0)) if blocked.get("instance") == request.instance else None
    blocked_recently = blocked_at is not None and now - blocked_at < limits.realert_seconds
    if request.enforce_bounds and action == Action.NOTIFY.value:
        # A blocked alert told the team about this notebook instance as surely as a violation alert would.
        notified = [a.at for a in mine if a.action == Action.NOTIFY.value and a.at > now - limits.realert_seconds]
        notified += [blocked_at] if blocked_recently else []
        if notified:
            last = max(notified)
            return Decision(
                Verdict.ALREADY_NOTIFIED,
                action,
                (reason + "; " if reason else "")
                + f"already alerted {now - last} s ago; the next alert is due after {limits.realert_seconds} s",
                attempts_in_window=len(changing),
            )

    attempt = Attempt(now, request.instance, action, request.trigger, request.holder)
    write = {
        "holder": request.holder,
        "held": True,
        "acquired_at": now,
        "expires_at": now + limits.lease_seconds,
        "version": record.version + 1,
        "attempts": json.dumps([asdict(a) for a in (*recent, attempt)], sort_keys=True),
        "trigger": request.trigger,
        "action": action,
    }
    return Decision(
        Verdict.GRANTED,
        action,
        reason or ("taken over from an ended execution" if taken_over else "free"),
        write=write,
        attempts_in_window=len(changing) + (action in CHANGING_ACTIONS),
        taken_over_from=taken_over,
        blocked_recently=blocked_recently,
    )


def release_values(release: Release, now: int, limits: Limits) -> dict:
    """Attribute values the release writes (conditionally on still being the holder)."""
    values: dict = {
        "held": False,
        "released_at": now,
        "last_outcome": release.outcome,
        # Keep the item (attempts, blocked alert) as long as the bounds look back, then let TTL remove it.
        "expires_at": now + limits.history_seconds,
    }
    if release.blocked_fingerprint is not None:
        values["blocked"] = json.dumps(
            {"instance": release.instance, "fingerprint": release.blocked_fingerprint, "alerted_at": now},
            sort_keys=True,
        )
    return values


def findings_fingerprint(problems: list[str] | tuple[str, ...]) -> str:
    """Preflight findings, order-insensitive: equal fingerprints mean "blocked for the same reasons"."""
    return hashlib.sha256("\n".join(sorted(problems)).encode()).hexdigest()[:32]


def should_alert_blocked(
    previous: dict | None, instance: str | None, fingerprint: str, now: int, limits: Limits
) -> tuple[bool, str]:
    """Alert a blocked remediation unless the same instance was blocked for the same findings recently."""
    if not previous or previous.get("instance") != instance or previous.get("fingerprint") != fingerprint:
        return True, ""
    since = now - int(previous.get("alerted_at", 0))
    if since >= limits.realert_seconds:
        return True, ""
    return False, (
        f"blocked again by the same preflight findings as {since} s ago; that alert stands, the next is due "
        f"after {limits.realert_seconds} s"
    )


def exemption_fingerprint(instance: str | None, reason: str, until: str | None) -> str:
    """One exemption as honoured: the notebook instance, its reason and its end date."""
    return hashlib.sha256(f"{instance}|{reason}|{until or ''}".encode()).hexdigest()[:32]


def _recent(attempts: tuple[Attempt, ...], now: int, seconds: int) -> list[Attempt]:
    return [a for a in attempts if a.at > now - seconds]


def _hours(seconds: int) -> str:
    return f"{seconds // 3600} h" if seconds % 3600 == 0 else f"{seconds} s"


def _json(value: object, default: object) -> object:
    if value in (None, ""):
        return default
    if isinstance(value, str):
        return json.loads(value)
    return value

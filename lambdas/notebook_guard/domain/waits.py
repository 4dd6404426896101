"""How the state machine waits for a notebook: an event first, then a polling loop with an overall bound.

Each wait starts as a callback task (``.waitForTaskToken``) that SageMaker's own state-change event resumes
(``domain.callbacks``); when no event comes within the wait's *heartbeat* (``heartbeats``, per target), the
task times out and the polling loop takes over: Step Functions does the waiting (Wait states with
``SecondsPath``), this module decides how long the next wait is and when a notebook counts as stuck. The
heartbeat counts towards the loop's bound, so a wait never outlasts ``bound_seconds`` plus one interval. The
schedule travels in the execution document, so the execution input can override it (zero waits in tests and
the demo).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

# Poll targets: what the loop waits for. Each target has its own loop in the ASL file.
STABLE = "stable"  # any state a call can start from: InService, Stopped, Failed
STOPPED = "stopped"
GONE = "gone"
IN_SERVICE = "in-service"
UPDATED = "updated"  # Updating -> Stopped
RUNNING = "running"  # Pending -> InService after a Start
# Markers the lifecycle scripts write in the backup bucket (``judge_marker``), not notebook states.
BACKED_UP = "backed-up"  # complete.json (or failed.json) of the backup
RESTORED = "restored"  # restored.json (or restore-failed.json) of the restore

_DONE = {
    STABLE: {"InService", "Stopped", "Failed"},
    STOPPED: {"Stopped", "Failed"},
    IN_SERVICE: {"InService"},
    UPDATED: {"Stopped"},
    RUNNING: {"InService"},
}
# States from which the target can no longer be reached: waiting longer is pointless.
_DEAD_END = {
    IN_SERVICE: {"Failed", "Stopped"},
    RUNNING: {"Failed", "Stopped"},
    UPDATED: {"Failed"},
}
TARGETS = (STABLE, STOPPED, GONE, IN_SERVICE, UPDATED, RUNNING)
MARKER_TARGETS = (BACKED_UP, RESTORED)


# How long each wait listens for SageMaker's event before it falls back to polling (HeartbeatSecondsPath of its
# callback task). From AWS's typical transition times (stop, delete and update take a minute or two; create and
# start a few minutes, plus up to 5 for a lifecycle script; a notebook caught at creation may have just started;
# aws-facts.md): a little longer than the usual transition, so that only a lost event (and a reconciler that did
# not run) costs time, at most this much before the polling loop looks. The keys are the targets with "_" for "-"
# (JSONPath-friendly).
DEFAULT_HEARTBEATS = {"stable": 600, "stopped": 180, "gone": 180, "in_service": 600, "updated": 180, "running": 600}
# Errors a callback task ends with when it times out (AWS names a heartbeat timeout States.HeartbeatTimeout in
# Catch and Retry; States.Timeout covers both timeouts, and is what moto reports).
CALLBACK_TIMEOUTS = ("States.HeartbeatTimeout", "States.Timeout")


def heartbeat_key(until: str) -> str:
    """The key of ``until`` in ``heartbeats`` (and in the ASL's HeartbeatSecondsPath)."""
    return until.replace("-", "_")


# Polls of a loop that never waits (first_seconds 0: tests and the demo's instant runs) when none is given.
ZERO_SCHEDULE_POLLS = 120


@dataclass(frozen=True)
class WaitSchedule:
    first_seconds: int = 60
    growth: float = 2.0
    max_interval_seconds: int = 180
    bound_seconds: int = 3600  # overall bound of one wait loop: the only one for a schedule that waits
    # Only for a schedule that never waits (first_seconds 0), which the time bound alone would never end.
    max_polls: int | None = None
    # Seconds each wait listens for SageMaker's event before polling (see DEFAULT_HEARTBEATS).
    heartbeats: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_HEARTBEATS))

    def heartbeat(self, until: str) -> int:
        return int(self.heartbeats.get(heartbeat_key(until), DEFAULT_HEARTBEATS[heartbeat_key(until)]))

    def interval(self, polls_done: int) -> int:
        """Seconds to wait after the ``polls_done``-th poll (1-based): first, first*growth, ... capped."""
        if self.first_seconds <= 0:
            return 0
        # The exponent is capped: past 64 doublings the interval is the cap anyway, and floats would overflow.
        exponent = min(max(polls_done - 1, 0), 64)
        return int(min(self.max_interval_seconds, round(self.first_seconds * self.growth**exponent)))

    def polls_within_bound(self) -> int:
        """How many polls fit in ``bound_seconds`` (a loop whose notebook never arrives makes this many)."""
        if self.first_seconds <= 0:
            return self.max_polls or ZERO_SCHEDULE_POLLS
        polls, waited = 1, 0
        while waited + self.interval(polls) <= self.bound_seconds:
            waited += self.interval(polls)
            polls += 1
        return polls

    @property
    def poll_cap(self) -> int:
        """The poll count that ends a loop. Derived from the time bound for a schedule that waits, so no cap
        shorter than the documented bound can cut a long wait short; a zero-second schedule uses max_polls."""
        if self.first_seconds <= 0:
            return self.max_polls or ZERO_SCHEDULE_POLLS
        return self.polls_within_bound() + 1

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict | None, default: WaitSchedule | None = None) -> WaitSchedule:
        base = asdict(default or cls())
        raw = raw or {}
        base.update({k: v for k, v in raw.items() if k in base and v is not None and k != "heartbeats"})
        # A partial heartbeat override (a test's {"stopped": 5}) keeps the other waits' heartbeats.
        base["heartbeats"] = {**base["heartbeats"], **(raw.get("heartbeats") or {})}
        return cls(**base)


@dataclass(frozen=True)
class Poll:
    """One poll's verdict, returned to the state machine's Choice state as plain values."""

    until: str
    state: str  # notebook status, or "Gone"
    count: int  # polls so far in this loop
    waited: int  # seconds waited so far in this loop
    done: bool  # the target is reached
    failed: bool  # the target can no longer be reached (e.g. Failed while waiting for InService)
    stuck: bool  # the bound is passed
    next_wait: int
    failure_reason: str | None = None
    data: dict | None = None  # a marker wait's findings (what was verified), when it has any

    def to_dict(self) -> dict:
        found = asdict(self)
        if found["data"] is None:
            del found["data"]
        return found


def judge(
    until: str, state: str | None, previous: dict | None, schedule: WaitSchedule, failure_reason: str | None = None
) -> Poll:
    """Decide the next move of a wait loop from the notebook's state (None: gone) and the previous poll."""
    if until not in TARGETS:
        raise ValueError(f"unknown wait target {until!r}")
    same_loop = bool(previous) and previous.get("until") == until
    count = (previous.get("count", 0) if same_loop else 0) + 1
    waited = previous.get("waited", 0) if same_loop else 0
    gone = state is None
    if until == GONE:
        done, failed = gone, False
    else:
        done = not gone and state in _DONE[until]
        # A notebook that vanishes while we wait for it to run is a failure; for "stable"/"stopped" the
        # path after the loop looks at ``state`` (Gone) and ends the execution with a recorded outcome.
        failed = (gone and until in (IN_SERVICE, RUNNING, UPDATED)) or (
            not gone and state in _DEAD_END.get(until, set())
        )
        if gone and until in (STABLE, STOPPED):
            done = True
    next_wait = schedule.interval(count)
    stuck = not done and not failed and (count >= schedule.poll_cap or waited + next_wait > schedule.bound_seconds)
    return Poll(
        until=until,
        state="Gone" if gone else str(state),
        count=count,
        waited=waited + (0 if done or failed or stuck else next_wait),
        done=done,
        failed=failed,
        stuck=stuck,
        next_wait=0 if done or failed or stuck else next_wait,
        failure_reason=failure_reason if failed else None,
    )


def judge_marker(
    until: str,
    state: str,
    previous: dict | None,
    schedule: WaitSchedule,
    bound_seconds: int,
    failure_reason: str | None = None,
    data: dict | None = None,
) -> Poll:
    """The next move of a marker wait: ``state`` is ``done`` (the marker is there and verified), ``failed`` (a
    failure marker, or the work can no longer finish), or anything else (still running: ``missing``, ``started``).
    The bound is the wait's own (derived from the volume's size), not the notebook waits' bound."""
    if until not in MARKER_TARGETS:
        raise ValueError(f"unknown marker target {until!r}")
    bounded = replace(schedule, bound_seconds=bound_seconds)
    same_loop = bool(previous) and previous.get("until") == until
    count = (previous.get("count", 0) if same_loop else 0) + 1
    waited = previous.get("waited", 0) if same_loop else 0
    done, failed = state == "done", state == "failed"
    next_wait = bounded.interval(count)
    stuck = not done and not failed and (count >= bounded.poll_cap or waited + next_wait > bounded.bound_seconds)
    active = not (done or failed or stuck)
    return Poll(
        until=until,
        state=state,
        count=count,
        waited=waited + (next_wait if active else 0),
        done=done,
        failed=failed,
        stuck=stuck,
        next_wait=next_wait if active else 0,
        failure_reason=failure_reason if failed else None,
        data=data,
    )
def after_callback(previous: dict | None, until: str, schedule: WaitSchedule) -> dict | None:
    """Where the polling loop of ``until`` starts when it follows the wait's callback task.

    The task's Catch puts its error (``{"Error": ..., "Cause": ...}``) where the loop keeps its state. A timeout
    means the task listened for the whole heartbeat: the loop goes on from there, so the wait's overall bound
    holds. Any other error (the task could not register) came at once: the loop starts from zero. A previous
    poll (no error) is returned as it is.
    """
    if not isinstance(previous, dict) or "Error" not in previous:
        return previous
    listened = schedule.heartbeat(until) if previous.get("Error") in CALLBACK_TIMEOUTS else 0
    return {"until": until, "count": 0, "waited": listened}


def polls_for(duration_seconds: int, schedule: WaitSchedule) -> int:
    """How many polls a loop makes for a transition lasting ``duration_seconds`` (the simulated timeline)."""
    polls, waited = 1, 0
    while waited < duration_seconds:
        waited += max(schedule.interval(polls), 1)
        polls += 1
    return polls

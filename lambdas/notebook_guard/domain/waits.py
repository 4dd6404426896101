"""Polling schedule of the state machine's wait loops: growing intervals, an overall bound.

Step Functions does the waiting (Wait states with ``SecondsPath``); this module decides how long the next
wait is and when a notebook counts as stuck. The schedule travels in the execution document, so the
execution input can override it (zero waits in tests and the demo).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

# Poll targets: what the loop waits for. Each target has its own loop in the ASL file.
STABLE = "stable"  # any state a call can start from: InService, Stopped, Failed
STOPPED = "stopped"
GONE = "gone"
IN_SERVICE = "in-service"
UPDATED = "updated"  # Updating -> Stopped
RUNNING = "running"  # Pending -> InService after a Start

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
        base.update({k: v for k, v in (raw or {}).items() if k in base and v is not None})
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

    def to_dict(self) -> dict:
        return asdict(self)


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


def polls_for(duration_seconds: int, schedule: WaitSchedule) -> int:
    """How many polls a loop makes for a transition lasting ``duration_seconds`` (the simulated timeline)."""
    polls, waited = 1, 0
    while waited < duration_seconds:
        waited += max(schedule.interval(polls), 1)
        polls += 1
    return polls

"""The simulation's virtual clock: seconds that pass only when the simulation says so, and what is due when.

Wait states, Retry intervals and callback tasks advance it (``workflow_runner.zero_time``, ``fake.callbacks``);
everything that happens *at* a time registers a timer: a notebook transition that completes after S seconds
(``fake.notebooks``), a state-change event delivered after its delay, the reconciler's next run (``fake.events``).
``advance`` runs the timers that fall due, in time order, each at its own time, so what a simulated minute holds
happens in the order AWS would have it.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Callable


class VirtualClock:
    def __init__(self) -> None:
        self.now = 0.0
        self._timers: list[tuple[float, int, Callable[[], None]]] = []
        self._order = itertools.count()
        # Two locks: the heap's (held only to push or pop: a fake may schedule while holding its own lock) and the
        # advancing thread's (held while timers run, so two threads never run the same minute twice).
        self._heap = threading.Lock()
        self._advancing = threading.RLock()
        # Work that is due as soon as the simulation has nothing else to do (a transition that ends after a number
        # of Describe polls, when nobody polls): run by ``settle`` before the clock moves on.
        self.idle_hooks: list[Callable[[], bool]] = []

    def schedule(self, at: float, action: Callable[[], None]) -> None:
        """Run ``action`` when the clock reaches ``at`` (at once, on the next advance, if that is now or past)."""
        with self._heap:
            heapq.heappush(self._timers, (max(at, self.now), next(self._order), action))

    def next_due(self) -> float | None:
        with self._heap:
            return self._timers[0][0] if self._timers else None

    def _pop_due(self, when: float) -> tuple[float, Callable[[], None]] | None:
        with self._heap:
            if self._timers and self._timers[0][0] <= when:
                at, _, action = heapq.heappop(self._timers)
                return at, action
            return None

    def advance(self, seconds: float) -> None:
        self.advance_to(self.now + max(seconds, 0))

    def advance_to(self, when: float) -> None:
        """Move to ``when``, running every timer due by then at its own time (timers may schedule more)."""
        with self._advancing:
            while (due := self._pop_due(when)) is not None:
                at, action = due
                self.now = max(self.now, at)
                action()
            self.now = max(self.now, when)

    def settle(self) -> bool:
        """Run what is due now, and the idle work; True when anything ran (the caller looks again)."""
        with self._advancing:
            due = self.next_due()
            ran = due is not None and due <= self.now
            self.advance_to(self.now)
            for hook in list(self.idle_hooks):
                ran = hook() or ran
            return ran

    def clear(self) -> None:
        """Forget every timer (a test's reset); the time itself goes on."""
        with self._heap:
            self._timers.clear()

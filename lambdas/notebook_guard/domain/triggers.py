"""Which trigger an event is: a notebook caught at creation, or an existing notebook started again.

A native state-change event fires on every transition, so a notebook that predates the stack sends one when
its owner starts it. Treating that as a creation would apply the creation's action (``remediate``) to a
notebook the sweep only flags; it is a ``restart`` instead, with its own action.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from notebook_guard.domain.models import Trigger

# Execution inputs written before the create/restart split said "event": it meant a notebook caught by an event,
# which the intake then handled with the creation's action.
_LEGACY = {"event": Trigger.CREATE}


def parse_trigger(raw: object) -> Trigger:
    """The trigger named in an execution input (``manual`` when absent). Raises ValueError for an unknown one."""
    if raw in (None, ""):
        return Trigger.MANUAL
    text = str(raw)
    return _LEGACY.get(text) or Trigger(text)


def state_change_trigger(creation_time: datetime | None, event_time: datetime, window: timedelta) -> Trigger:
    """``create`` when the notebook was created within ``window`` of the event, else ``restart``.

    ``creation_time`` comes from Describe (the source of truth), ``event_time`` from the event's envelope. A
    notebook created *after* the event (a new incarnation of the name) is new as well. An unknown creation time
    counts as a creation: the stricter action, as before the split.
    """
    if creation_time is None:
        return Trigger.CREATE
    created, happened = _aware(creation_time), _aware(event_time)
    return Trigger.CREATE if happened - created <= window else Trigger.RESTART


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

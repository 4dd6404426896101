"""One timestamp format everywhere a person or a parser reads one: ISO 8601, UTC, seconds, ``Z``.

``2026-11-27T06:12:53Z``. Alerts, reports and the command line all print times this way.
"""

from __future__ import annotations

from datetime import UTC, datetime


def utc_timestamp(moment: datetime | str | None = None) -> str:
    """``moment`` (now when None; a naive datetime is taken as UTC; an ISO string is re-read) in the one format."""
    if moment is None:
        moment = datetime.now(UTC)
    elif isinstance(moment, str):
        moment = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")

"""The audit table's records: one per thing a remediation did or decided, in time order per notebook."""

from __future__ import annotations

from datetime import UTC, datetime

from notebook_guard.aws import dynamodb
from notebook_guard.domain.naming import execution_name_of
from notebook_guard.settings import Settings


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def record_id(document: dict, what: str) -> str:
    """Sort key "<time>#<execution name>#<what>": a notebook's history reads in order."""
    return f"{now_iso()}#{execution_name_of(document.get('execution_id'))}#{what}"


def write(settings: Settings, document: dict, what: str, record: dict) -> None:
    """Record ``what`` for the document's notebook (nothing when no audit table is configured)."""
    if not settings.audit_table:
        return
    dynamodb.put_audit_record(
        settings.audit_table,
        document["notebook_name"],
        record_id(document, what),
        {"execution_id": document.get("execution_id"), "time": now_iso(), **record},
        settings.region,
    )

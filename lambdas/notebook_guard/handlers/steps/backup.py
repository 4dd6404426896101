"""Backup: the data preservation steps (``services.backup``), one operation per state of the workflow.

- ``prepare``: the configurations, the grant, the bucket access; attach the backup configuration (Stopped).
- ``check``: one poll of the backup's markers; once complete, its verification against the manifest and objects.
- ``put-back``: attach the notebook's own lifecycle configuration again (Stopped).
- ``check-restore``: one poll of the restore on the recreated notebook.
- ``cleanup``: retire the grant, remove the bucket access, delete the configurations no notebook carries.
"""

from __future__ import annotations

from notebook_guard.domain.errors import InvalidExecutionInput
from notebook_guard.handlers.steps.common import step
from notebook_guard.services import backup
from notebook_guard.settings import get_settings

OPERATIONS = {
    "prepare": backup.prepare,
    "check": backup.check_backup,
    "put-back": backup.put_back,
    "check-restore": backup.check_restore,
    "cleanup": backup.cleanup,
}


@step
def handler(event: dict) -> dict:
    operation = OPERATIONS.get(event.get("op"))
    if operation is None:
        raise InvalidExecutionInput(f"unknown backup operation {event.get('op')!r}")
    return operation(event["document"], get_settings())

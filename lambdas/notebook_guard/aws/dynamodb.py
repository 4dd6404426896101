"""The audit table: one item per recorded event of a remediation."""

from __future__ import annotations

import json

from notebook_guard.aws.clients import client
from notebook_guard.workflow_steps import AUDIT_PARTITION_KEY, AUDIT_SORT_KEY


def put_audit_record(table: str, notebook_name: str, record_id: str, record: dict, region: str | None = None) -> None:
    """Write one audit item. Nested values are stored as a JSON string: readable, and no float/Decimal games."""
    item = {
        AUDIT_PARTITION_KEY: {"S": notebook_name},
        AUDIT_SORT_KEY: {"S": record_id},
        "record": {"S": json.dumps(record, default=str, sort_keys=True)},
    }
    for key in ("outcome", "execution_id", "snapshot_uri", "time"):
        if record.get(key):
            item[key] = {"S": str(record[key])}
    client("dynamodb", region).put_item(TableName=table, Item=item)

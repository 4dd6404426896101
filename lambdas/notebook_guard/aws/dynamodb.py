"""DynamoDB: the audit table (append-only records) and the coordination table (items updated conditionally)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from decimal import Decimal

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from notebook_guard.aws.clients import client
from notebook_guard.aws.errors import error_code
from notebook_guard.workflow_steps import AUDIT_PARTITION_KEY, AUDIT_SORT_KEY

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()
_NAME = re.compile(r"#([A-Za-z_][A-Za-z0-9_]*)")


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


def get_item(table: str, key: dict[str, str], region: str | None = None) -> dict | None:
    """One item as plain Python values (numbers as int), read strongly consistent; None when absent."""
    response = client("dynamodb", region).get_item(TableName=table, Key=_serialize(key), ConsistentRead=True)
    item = response.get("Item")
    return {name: _plain(_deserializer.deserialize(value)) for name, value in item.items()} if item else None


def update_item(
    table: str,
    key: dict[str, str],
    *,
    set_values: dict[str, object],
    remove: tuple[str, ...] = (),
    condition: str | None = None,
    condition_values: dict[str, object] | None = None,
    region: str | None = None,
) -> bool:
    """UpdateItem: SET ``set_values``, REMOVE ``remove``, only if ``condition`` holds.

    ``condition`` names attributes as ``#name`` and values as ``:value`` (given in ``condition_values``), e.g.
    ``"attribute_not_exists(#pk) OR #version = :expected"``. Returns False when the condition does not hold
    (ConditionalCheckFailedException); any other error is raised.
    """
    names: dict[str, str] = {}
    values: dict[str, dict] = {}
    assignments = []
    for index, (name, value) in enumerate(set_values.items()):
        names[f"#set{index}"] = name
        values[f":set{index}"] = _serializer.serialize(value)
        assignments.append(f"#set{index} = :set{index}")
    expression = "SET " + ", ".join(assignments)
    if remove:
        for index, name in enumerate(remove):
            names[f"#del{index}"] = name
        expression += " REMOVE " + ", ".join(f"#del{index}" for index in range(len(remove)))
    request: dict = {"TableName": table, "Key": _serialize(key), "UpdateExpression": expression}
    if condition:
        names.update({f"#{name}": name for name in _NAME.findall(condition)})
        values.update({name: _serializer.serialize(value) for name, value in (condition_values or {}).items()})
        request["ConditionExpression"] = condition
    request["ExpressionAttributeNames"] = names
    request["ExpressionAttributeValues"] = values
    try:
        client("dynamodb", region).update_item(**request)
    except ClientError as error:
        if error_code(error) == "ConditionalCheckFailedException":
            return False
        raise
    return True


def delete_item(
    table: str,
    key: dict[str, str],
    *,
    condition: str | None = None,
    condition_values: dict[str, object] | None = None,
    region: str | None = None,
) -> bool:
    """DeleteItem, only if ``condition`` holds (names as ``#name``, values as ``:value``); False when it does not."""
    request: dict = {"TableName": table, "Key": _serialize(key)}
    if condition:
        request["ConditionExpression"] = condition
        request["ExpressionAttributeNames"] = {f"#{name}": name for name in _NAME.findall(condition)}
        request["ExpressionAttributeValues"] = {
            name: _serializer.serialize(value) for name, value in (condition_values or {}).items()
        }
    try:
        client("dynamodb", region).delete_item(**request)
    except ClientError as error:
        if error_code(error) == "ConditionalCheckFailedException":
            return False
        raise
    return True


def scan_by_sort_key(table: str, sort_key: str, value: str, region: str | None = None) -> Iterator[dict]:
    """Every item whose sort key ``sort_key`` equals ``value``, as plain values (consistent reads, paginated)."""
    paginator = client("dynamodb", region).get_paginator("scan")
    pages = paginator.paginate(
        TableName=table,
        FilterExpression="#sk = :sk",
        ExpressionAttributeNames={"#sk": sort_key},
        ExpressionAttributeValues={":sk": {"S": value}},
        ConsistentRead=True,
    )
    for page in pages:
        for item in page.get("Items", []):
            yield {name: _plain(_deserializer.deserialize(v)) for name, v in item.items()}


def _serialize(key: dict[str, str]) -> dict:
    return {name: _serializer.serialize(value) for name, value in key.items()}


def _plain(value: object) -> object:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value

"""Classifying AWS errors: what is transient (retry), what means 'not found', what is permanent."""

from __future__ import annotations

from botocore.exceptions import ClientError


def error_code(error: BaseException) -> str:
    if isinstance(error, ClientError):
        return error.response.get("Error", {}).get("Code", "")
    return ""


def error_message(error: BaseException) -> str:
    if isinstance(error, ClientError):
        return error.response.get("Error", {}).get("Message", "")
    return str(error)


def is_record_not_found(error: BaseException) -> bool:
    """SageMaker signals a missing notebook with ValidationException 'RecordNotFound'."""
    return error_code(error) == "ValidationException" and "RecordNotFound" in error_message(error)

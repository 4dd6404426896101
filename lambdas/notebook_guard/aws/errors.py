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


_TRANSIENT_CODES = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottled",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "SlowDown",
    "ServiceUnavailable",
    "InternalError",
    "InternalFailure",
    "InternalServerError",
}


def is_transient(error: BaseException) -> bool:
    """Throttling or a server-side (5xx) failure: worth retrying later."""
    if not isinstance(error, ClientError):
        return False
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0
    return error_code(error) in _TRANSIENT_CODES or status >= 500


def is_duplicate_notebook(error: BaseException) -> bool:
    """CreateNotebookInstance refused because a notebook of that name exists ("Cannot create a duplicate...")."""
    return error_code(error) == "ValidationException" and "duplicate" in error_message(error).lower()

"""The snapshot bucket: write a document, read it back."""

from __future__ import annotations

from botocore.exceptions import ClientError

from notebook_guard.aws.clients import client
from notebook_guard.aws.errors import error_code

_NOT_FOUND = {"NoSuchKey", "404", "NotFound", "NoSuchBucket", "NoSuchVersion"}


def s3_uri(bucket: str, key: str) -> str:
    return f"s3://{bucket}/{key}"


def parse_s3_uri(uri: str) -> tuple[str, str]:
    if not uri.startswith("s3://") or "/" not in uri[5:]:
        raise ValueError(f"not an s3://bucket/key URI: {uri!r}")
    bucket, key = uri[5:].split("/", 1)
    return bucket, key


def put_json(bucket: str, key: str, body: bytes, sha256: str, region: str | None = None) -> str | None:
    """Write a JSON document; returns its version id when the bucket is versioned.

    Encryption is the bucket's default (SSE-S3 or the stack's KMS key), so a bucket policy that requires a
    particular encryption is honoured without this code knowing it.
    """
    response = client("s3", region).put_object(
        Bucket=bucket,
        Key=key,
        Body=body,
        ContentType="application/json",
        Metadata={"sha256": sha256},
    )
    return response.get("VersionId")


def get_object(bucket: str, key: str, region: str | None = None, version_id: str | None = None) -> bytes | None:
    """The object's bytes (of ``version_id`` when given), or None when it does not exist."""
    request = {"Bucket": bucket, "Key": key}
    if version_id:
        request["VersionId"] = version_id
    try:
        response = client("s3", region).get_object(**request)
    except ClientError as error:
        if error_code(error) in _NOT_FOUND:
            return None
        raise
    return response["Body"].read()

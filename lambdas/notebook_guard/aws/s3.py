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


def _get(bucket: str, key: str, region: str | None, version_id: str | None) -> tuple[bytes, str | None] | None:
    request = {"Bucket": bucket, "Key": key}
    if version_id:
        request["VersionId"] = version_id
    try:
        response = client("s3", region).get_object(**request)
    except ClientError as error:
        if error_code(error) in _NOT_FOUND:
            return None
        raise
    return response["Body"].read(), response.get("VersionId")


def get_object(bucket: str, key: str, region: str | None = None, version_id: str | None = None) -> bytes | None:
    """The object's bytes (of ``version_id`` when given), or None when it does not exist."""
    found = _get(bucket, key, region, version_id)
    return found[0] if found else None


def get_bucket_policy(bucket: str, region: str | None = None) -> str | None:
    """The bucket policy's text, or None when the bucket has none."""
    try:
        return client("s3", region).get_bucket_policy(Bucket=bucket)["Policy"]
    except ClientError as error:
        if error_code(error) == "NoSuchBucketPolicy":
            return None
        raise


def put_bucket_policy(bucket: str, policy: str, region: str | None = None) -> None:
    client("s3", region).put_bucket_policy(Bucket=bucket, Policy=policy)


def object_sizes(bucket: str, prefix: str, region: str | None = None) -> dict[str, int]:
    """key -> size of every object under ``prefix`` (ListObjectsV2, page by page)."""
    sizes: dict[str, int] = {}
    paginator = client("s3", region).get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            sizes[item["Key"]] = item["Size"]
    return sizes


def get_latest(bucket: str, key: str, region: str | None = None) -> tuple[bytes, str | None] | None:
    """(bytes, version id) of the object's current version, or None when it does not exist."""
    return _get(bucket, key, region, None)


def default_kms_key(bucket: str, region: str | None = None) -> str | None:
    """The KMS key of the bucket's default encryption (SSE-KMS), or None."""
    try:
        rules = client("s3", region).get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    except ClientError as error:
        if error_code(error) == "ServerSideEncryptionConfigurationNotFoundError":
            return None
        raise
    for rule in rules:
        key = (rule.get("ApplyServerSideEncryptionByDefault") or {}).get("KMSMasterKeyID")
        if key:
            return key
    return None

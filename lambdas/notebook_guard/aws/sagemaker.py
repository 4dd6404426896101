"""SageMaker notebook instances: list, describe, tags."""

from __future__ import annotations

from collections.abc import Iterator

from botocore.exceptions import ClientError

from notebook_guard.aws.clients import client
from notebook_guard.aws.errors import is_record_not_found


def _sagemaker(region: str | None = None):
    return client("sagemaker", region)


def describe_notebook(name: str, region: str | None = None) -> dict | None:
    """The Describe output without response metadata, or None when no notebook has that name."""
    try:
        response = _sagemaker(region).describe_notebook_instance(NotebookInstanceName=name)
    except ClientError as error:
        if is_record_not_found(error):
            return None
        raise
    response.pop("ResponseMetadata", None)
    return response


def iter_notebook_names(region: str | None = None) -> Iterator[str]:
    """Every notebook instance name in the region, page by page (100 per call, the API's maximum)."""
    paginator = _sagemaker(region).get_paginator("list_notebook_instances")
    for page in paginator.paginate(PaginationConfig={"PageSize": 100}):
        for summary in page.get("NotebookInstances", []):
            yield summary["NotebookInstanceName"]


def list_tags(resource_arn: str, region: str | None = None) -> dict[str, str]:
    """All tags of a SageMaker resource as a dict (ListTags is paginated)."""
    paginator = _sagemaker(region).get_paginator("list_tags")
    tags: dict[str, str] = {}
    for page in paginator.paginate(ResourceArn=resource_arn, PaginationConfig={"PageSize": 100}):
        for tag in page.get("Tags", []):
            tags[tag["Key"]] = tag.get("Value", "")
    return tags

"""SageMaker notebook instances: list, describe, tags."""

from __future__ import annotations

from collections.abc import Iterator

from botocore.exceptions import ClientError

from notebook_guard.aws.clients import client
from notebook_guard.aws.errors import error_code, is_record_not_found


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


def describe_lifecycle_config(name: str, region: str | None = None) -> dict | None:
    """A notebook lifecycle configuration (its OnCreate/OnStart scripts), or None when it is gone."""
    try:
        response = _sagemaker(region).describe_notebook_instance_lifecycle_config(
            NotebookInstanceLifecycleConfigName=name
        )
    except ClientError as error:
        if is_record_not_found(error) or "does not exist" in str(error).lower():
            return None
        raise
    response.pop("ResponseMetadata", None)
    return response


def describe_code_repository(name: str, region: str | None = None) -> dict | None:
    """A SageMaker code repository (its Git URL and, for a private repository, its secret), or None."""
    try:
        response = _sagemaker(region).describe_code_repository(CodeRepositoryName=name)
    except ClientError as error:
        if error_code(error) == "ValidationException" and "cannot find" in str(error).lower():
            return None
        raise
    response.pop("ResponseMetadata", None)
    return response


def stop_notebook(name: str, region: str | None = None) -> None:
    _sagemaker(region).stop_notebook_instance(NotebookInstanceName=name)


def start_notebook(name: str, region: str | None = None) -> None:
    _sagemaker(region).start_notebook_instance(NotebookInstanceName=name)


def delete_notebook(name: str, region: str | None = None) -> None:
    _sagemaker(region).delete_notebook_instance(NotebookInstanceName=name)


def create_notebook(request: dict, region: str | None = None) -> str:
    """CreateNotebookInstance with a planned request; returns the new notebook's ARN."""
    return _sagemaker(region).create_notebook_instance(**request)["NotebookInstanceArn"]


def disable_root_access(name: str, region: str | None = None) -> None:
    _sagemaker(region).update_notebook_instance(NotebookInstanceName=name, RootAccess="Disabled")


def name_for_arn(arn: str, hint: str | None = None, region: str | None = None) -> str | None:
    """The name of the notebook instance with this ARN, or None when there is none.

    The ARN lower-cases the name (aws-facts), so it is resolved through the API: Describe the hint (a finding's
    resource details carry the name) or the ARN's name part; otherwise list the notebooks whose names contain it
    (ListNotebookInstances NameContains; whether that filter ignores case is not documented), and at last all of
    them, and take the one whose ARN is this one.
    """
    candidate = hint or arn.rsplit("notebook-instance/", 1)[-1]
    described = describe_notebook(candidate, region)
    if described is not None and described["NotebookInstanceArn"] == arn:
        return described["NotebookInstanceName"]
    paginator = _sagemaker(region).get_paginator("list_notebook_instances")
    for filters in ({"NameContains": candidate}, {}):
        for page in paginator.paginate(**filters, PaginationConfig={"PageSize": 100}):
            for summary in page.get("NotebookInstances", []):
                if summary["NotebookInstanceArn"] == arn:
                    return summary["NotebookInstanceName"]
    return None

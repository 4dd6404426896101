"""The EventBridge events the intake accepts, as Powertools parser models.

The event is only a pointer to a notebook: its name is all we take from it. The notebook's configuration is
read from the API afterwards (the source of truth), because events can be late, replayed or forged.
"""

from __future__ import annotations

from typing import Literal

from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from pydantic import BaseModel, ConfigDict, Field

from notebook_guard.domain.naming import NOTEBOOK_NAME_PATTERN

NOTEBOOK_NAME = NOTEBOOK_NAME_PATTERN.pattern

CLOUDTRAIL_DETAIL_TYPE = "AWS API Call via CloudTrail"
STATE_CHANGE_DETAIL_TYPE = "SageMaker Notebook Instance State Change"


class CreateNotebookRequest(BaseModel):
    """``requestParameters`` of a CreateNotebookInstance record (lowerCamelCase of the API members)."""

    model_config = ConfigDict(extra="allow")

    notebookInstanceName: str = Field(pattern=NOTEBOOK_NAME)
    subnetId: str | None = None


class CloudTrailApiCall(BaseModel):
    model_config = ConfigDict(extra="allow")

    eventVersion: str
    eventSource: Literal["sagemaker.amazonaws.com"]
    eventName: Literal["CreateNotebookInstance"]
    eventID: str
    awsRegion: str
    errorCode: str | None = None
    errorMessage: str | None = None
    requestParameters: CreateNotebookRequest
    responseElements: dict | None = None


class CloudTrailCreateNotebookEvent(EventBridgeModel):
    source: Literal["aws.sagemaker"]
    detail_type: Literal["AWS API Call via CloudTrail"] = Field(alias="detail-type")
    detail: CloudTrailApiCall


class NotebookStateChange(BaseModel):
    """``detail`` of a native state-change event: the Describe fields of the notebook."""

    model_config = ConfigDict(extra="allow")

    NotebookInstanceName: str = Field(pattern=NOTEBOOK_NAME)
    NotebookInstanceStatus: str | None = None


class NotebookStateChangeEvent(EventBridgeModel):
    source: Literal["aws.sagemaker"]
    detail_type: Literal["SageMaker Notebook Instance State Change"] = Field(alias="detail-type")
    detail: NotebookStateChange


# The rule that feeds the resume function (the workflow's waits): every state change of every notebook, whatever
# its status; the function keeps those a wait is registered for. The stack deploys it (infra/constructs/resumption.py)
# and the simulation routes the fake's events through the same pattern.
WAIT_EVENTS_PATTERN = {"source": ["aws.sagemaker"], "detail-type": [STATE_CHANGE_DETAIL_TYPE]}
SCHEDULED_DETAIL_TYPE = "Scheduled Event"

"""The EventBridge events the intake accepts, as Powertools parser models.

The event is only a pointer to a notebook: its name is all we take from it. The notebook's configuration is
read from the API afterwards (the source of truth), because events can be late, replayed or forged.
"""

from __future__ import annotations

from typing import Any, Literal

from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from pydantic import BaseModel, ConfigDict, Field, field_validator

from notebook_guard.domain.naming import NOTEBOOK_NAME_PATTERN

NOTEBOOK_NAME = NOTEBOOK_NAME_PATTERN.pattern

CLOUDTRAIL_DETAIL_TYPE = "AWS API Call via CloudTrail"
STATE_CHANGE_DETAIL_TYPE = "SageMaker Notebook Instance State Change"
FINDINGS_IMPORTED_DETAIL_TYPE = "Security Hub Findings - Imported"
CUSTOM_ACTION_DETAIL_TYPE = "Security Hub Findings - Custom Action"


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
# Security Hub (EventBridge event formats for Security Hub, AWS Security Hub User Guide): the findings are ASFF;
# only what points at a notebook and says what state the finding is in is read, the rest is kept as given.


class FindingResource(BaseModel):
    model_config = ConfigDict(extra="allow")

    Type: str
    Id: str
    Details: dict | None = None


class FindingCompliance(BaseModel):
    model_config = ConfigDict(extra="allow")

    Status: str | None = None
    SecurityControlId: str | None = None


class FindingWorkflow(BaseModel):
    model_config = ConfigDict(extra="allow")

    Status: str | None = None


class FindingNote(BaseModel):
    model_config = ConfigDict(extra="allow")

    Text: str | None = None
    UpdatedBy: str | None = None


class SecurityHubFinding(BaseModel):
    model_config = ConfigDict(extra="allow")

    Id: str
    ProductArn: str
    GeneratorId: str
    AwsAccountId: str = Field(pattern=r"^\d{12}$")
    Resources: list[FindingResource] = Field(min_length=1)
    Compliance: FindingCompliance | None = None
    RecordState: str | None = None
    Workflow: FindingWorkflow | None = None
    Note: FindingNote | None = None


def _as_list(value: Any) -> Any:
    # AWS's page shows the custom action's findings both as a list and as one object; real events carry a list.
    return [value] if isinstance(value, dict) else value


class FindingsImported(BaseModel):
    model_config = ConfigDict(extra="allow")

    findings: list[SecurityHubFinding] = Field(min_length=1)

    _list = field_validator("findings", mode="before")(_as_list)


class SecurityHubFindingsImportedEvent(EventBridgeModel):
    source: Literal["aws.securityhub"]
    detail_type: Literal["Security Hub Findings - Imported"] = Field(alias="detail-type")
    detail: FindingsImported


class CustomAction(BaseModel):
    """``detail`` of a custom action event: the action's name and description and the findings chosen. It names
    no person: who chose the action is not in the event."""

    model_config = ConfigDict(extra="allow")

    actionName: str
    actionDescription: str | None = None
    findings: list[SecurityHubFinding] = Field(min_length=1)

    _list = field_validator("findings", mode="before")(_as_list)


class SecurityHubCustomActionEvent(EventBridgeModel):
    source: Literal["aws.securityhub"]
    detail_type: Literal["Security Hub Findings - Custom Action"] = Field(alias="detail-type")
    detail: CustomAction

"""The enforcement of the simulation applies the preventive policy as AWS would: each notebook request carries its
condition keys, an exempt principal's tag is seen, and the refusal names the explicit deny."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from notebook_guard.aws import clients
from notebook_guard.permissions.policy import Names, render
from notebook_guard.permissions.prevention import MANAGED_POLICY, PreventionInputs, generate
from notebook_guard_local.demo.prevention import NOTEBOOK_USER
from notebook_guard_local.fake.enforcement import acting_as, deploy_role
from notebook_guard_local.fake.iam_policy import Decision
from tests.conftest import ACCOUNT, REGION

ROLE = "data-scientist"


@pytest.fixture
def data_scientist(account):
    """A role that may create notebooks, with the preventive managed policy attached."""
    deploy_role(ROLE, render(NOTEBOOK_USER, Names("aws", REGION, ACCOUNT)).document)
    policy = generate(MANAGED_POLICY, PreventionInputs(region=REGION, account=ACCOUNT))
    iam = clients.client("iam", REGION)
    arn = iam.create_policy(PolicyName="prevention", PolicyDocument=json.dumps(policy.document))["Policy"]["Arn"]
    iam.attach_role_policy(RoleName=ROLE, PolicyArn=arn)
    return account


def create(name: str, **fields) -> None:
    with acting_as(ROLE):
        clients.client("sagemaker", REGION).create_notebook_instance(
            NotebookInstanceName=name, InstanceType="ml.t3.medium", RoleArn=f"arn:aws:iam::{ACCOUNT}:role/nb", **fields
        )


def test_a_creation_without_a_subnet_is_an_explicit_deny_of_the_policy(data_scientist, enforced):
    with pytest.raises(ClientError) as caught:
        create("no-subnet")
    error = caught.value.response["Error"]
    assert error["Code"] == "AccessDeniedException"
    assert error["Message"].endswith(
        f"sagemaker:CreateNotebookInstance on resource: arn:aws:sagemaker:{REGION}:{ACCOUNT}:notebook-instance/"
        "no-subnet with an explicit deny in an identity-based policy"
    )
    denial = enforced.denials[-1]
    assert denial.decision is Decision.EXPLICIT_DENY
    assert "DenyCreateNotebookWithoutVpcSubnets" in {m.sid for m in denial.matched}
    assert dict(denial.check.context)["sagemaker:InstanceTypes"] == ("ml.t3.medium",)


def test_a_compliant_creation_goes_through(data_scientist, enforced):
    subnet = data_scientist.subnet_id
    create("private", SubnetId=subnet, SecurityGroupIds=[data_scientist.sg_id], DirectInternetAccess="Disabled",
           RootAccess="Disabled")
    assert [d for d in enforced.denials if d.principal == ROLE] == []


def test_a_principal_with_the_exempt_tag_is_not_denied(data_scientist, enforced):
    clients.client("iam", REGION).tag_role(RoleName=ROLE, Tags=[{"Key": "notebook-guard:break-glass", "Value": "true"}])
    create("break-glass")
    assert [d for d in enforced.denials if d.principal == ROLE] == []


def test_an_update_enabling_root_access_is_denied_and_one_that_leaves_it_is_not(data_scientist, enforced):
    sagemaker = clients.client("sagemaker", REGION)
    with acting_as(ROLE), pytest.raises(ClientError) as caught:
        sagemaker.update_notebook_instance(NotebookInstanceName="any", RootAccess="Enabled")
    assert "explicit deny" in caught.value.response["Error"]["Message"]
    assert {m.sid for m in enforced.denials[-1].matched} == {"DenyUpdateNotebookRootAccessEnabled"}
    before = len(enforced.denials)
    with acting_as(ROLE), pytest.raises(ClientError) as caught:  # no such notebook (its role is unknown)...
        sagemaker.update_notebook_instance(NotebookInstanceName="any", InstanceType="ml.t3.large")
    assert "explicit deny" not in str(caught.value)  # ...but the preventive policy let the update through
    assert [d.check.action for d in enforced.denials[before:]] == ["iam:PassRole"]

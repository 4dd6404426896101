"""The condition keys a notebook request carries, derived from its parameters the way AWS populates them."""

from __future__ import annotations

from notebook_guard.permissions import request_context as keys
from notebook_guard.permissions.checks import Facts, checks_for


def test_a_create_in_a_subnet_carries_its_network_keys_the_subnet_as_a_list():
    context = keys.request_context(
        keys.CREATE,
        {
            "NotebookInstanceName": "nb",
            "InstanceType": "ml.t3.medium",
            "SubnetId": "subnet-1",
            "SecurityGroupIds": ["sg-1", "sg-2"],
            "DirectInternetAccess": "Disabled",
            "RootAccess": "Disabled",
            "Tags": [{"Key": "team", "Value": "risk"}],
        },
    )
    assert context == {
        "sagemaker:VpcSubnets": ("subnet-1",),
        "sagemaker:VpcSecurityGroupIds": ("sg-1", "sg-2"),
        "sagemaker:DirectInternetAccess": "Disabled",
        "sagemaker:RootAccess": "Disabled",
        "sagemaker:InstanceTypes": ("ml.t3.medium",),
        "aws:TagKeys": ("team",),
        "aws:RequestTag/team": "risk",
    }
    assert all(keys.is_multivalued(k) == isinstance(v, tuple) for k, v in context.items())


def test_an_absent_parameter_leaves_its_key_absent():
    # AWS documents Null on sagemaker:VpcSubnets for "no VPC"; whether it fills DirectInternetAccess/RootAccess
    # with the API's default is undocumented, so they stay absent (the preventive policy holds either way).
    context = keys.request_context(keys.CREATE, {"NotebookInstanceName": "nb", "InstanceType": "ml.t3.medium"})
    assert context == {"sagemaker:InstanceTypes": ("ml.t3.medium",)}


def test_an_update_carries_root_access_only_when_it_sets_it():
    assert keys.request_context(keys.UPDATE, {"NotebookInstanceName": "nb", "RootAccess": "Enabled"}) == {
        "sagemaker:RootAccess": "Enabled"
    }
    assert keys.request_context(keys.UPDATE, {"NotebookInstanceName": "nb", "LifecycleConfigName": "x"}) == {}
    assert keys.request_context("sagemaker:StopNotebookInstance", {"NotebookInstanceName": "nb"}) == {}


def test_the_calls_own_action_check_carries_the_request_keys_and_dependent_actions_do_not():
    facts = Facts(
        "aws",
        "us-east-1",
        "123456789012",
        notebook="nb",
        role_arn="arn:aws:iam::123456789012:role/r",
        subnet_id="subnet-1",
        security_group_ids=("sg-1",),
        request_context={"sagemaker:VpcSubnets": ("subnet-1",), "sagemaker:RootAccess": "Disabled"},
    )
    checks = checks_for(keys.CREATE, facts)
    own = [c for c in checks if c.action == keys.CREATE]
    assert [dict(c.context) for c in own] == [
        {"sagemaker:VpcSubnets": ("subnet-1",), "sagemaker:RootAccess": ("Disabled",)}
    ]
    assert all("sagemaker:VpcSubnets" not in c.context for c in checks if c.action != keys.CREATE)

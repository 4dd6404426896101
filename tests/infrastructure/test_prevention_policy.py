"""``prevention_policy=true`` creates the preventive managed policy: attachable, attached to nothing, named in the
stack's outputs, scoped to the stack's region, and (once CloudFormation resolves it) denying exactly the violating
requests of the decision table."""

from __future__ import annotations

from aws_cdk import App, CfnParameter, Stack
from aws_cdk.assertions import Template

from infra.constructs.prevention import PreventionPolicy
from infra.settings import StackSettings
from notebook_guard.permissions.prevention import MANAGED_POLICY, PreventionInputs, generate
from notebook_guard_local.prevention_proof import ACCOUNT, REGION, prove

PSEUDO = {"AWS::Partition": "aws", "AWS::Region": REGION, "AWS::AccountId": ACCOUNT}


def resolve(value, refs: dict):
    """What CloudFormation makes of Ref and Fn::Join (all this template uses in the policy)."""
    if isinstance(value, dict) and set(value) == {"Ref"}:
        return refs[value["Ref"]]
    if isinstance(value, dict) and set(value) == {"Fn::Join"}:
        separator, parts = value["Fn::Join"]
        return separator.join(str(resolve(p, refs)) for p in parts)
    if isinstance(value, dict):
        return {k: resolve(v, refs) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, refs) for v in value]
    return value


def test_the_policy_is_created_attached_to_nothing_and_named_in_the_outputs(existing_stack):
    (logical_id, resource), *others = existing_stack.resources("AWS::IAM::ManagedPolicy").items()
    assert others == []
    properties = resource["Properties"]
    assert not {"Roles", "Users", "Groups"} & set(properties)  # the stack attaches it to nothing
    assert "ManagedPolicyName" not in properties  # IAM is global: a name per region and stack, from CloudFormation
    assert existing_stack.json["Outputs"]["PreventionPolicyArn"]["Value"] == {"Ref": logical_id}
    document = resolve(properties["PolicyDocument"], PSEUDO)
    assert {s["Resource"] for s in document["Statement"]} == {
        f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:notebook-instance/*"
    }
    # The template's policy, as deployed, passes the same proof as the generator's.
    inputs = PreventionInputs(
        exempt_role_arns=("arn:aws:iam::123456789012:role/BreakGlass",), region=REGION, account=ACCOUNT
    )
    outcomes = prove(generate(MANAGED_POLICY, inputs), document=document)
    assert [o.row.name for o in outcomes if not o.as_expected] == []
    assert sum(o.denied for o in outcomes) >= 5


def test_no_policy_by_default(default_stack):
    assert default_stack.resources("AWS::IAM::ManagedPolicy") == {}
    assert "PreventionPolicyArn" not in default_stack.json["Outputs"]


def test_the_subnets_of_the_stacks_own_vpc_are_approved_with_an_approved_list():
    stack = Stack(App(), "Prevention")
    created = [CfnParameter(stack, name).value_as_string for name in ("SubnetA", "SubnetB")]
    settings = StackSettings.from_context({"approved_subnet_ids": "subnet-0123456789abcdef0"})
    PreventionPolicy(stack, "Prevention", settings=settings, stack_subnet_ids=created)
    (resource,) = Template.from_stack(stack).find_resources("AWS::IAM::ManagedPolicy").values()
    refs = {**PSEUDO, "SubnetA": "subnet-0aaaaaaaaaaaaaaaa", "SubnetB": "subnet-0bbbbbbbbbbbbbbbb"}
    document = resolve(resource["Properties"]["PolicyDocument"], refs)
    approved = document["Statement"][1]["Condition"]["ForAnyValue:StringNotEquals"]["sagemaker:VpcSubnets"]
    assert approved == ["subnet-0123456789abcdef0", "subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb"]
    # notebook-guard recreates into the created subnets: its own request must pass.
    # The table recreates into the first approved subnet: make it one of the created ones.
    inputs = PreventionInputs(approved_subnet_ids=tuple(reversed(approved)), region=REGION, account=ACCOUNT)
    by_name = {o.row.name: o for o in prove(generate(MANAGED_POLICY, inputs), document=document)}
    assert not by_name["notebook-guard's own recreate request"].denied
    assert by_name["subnet outside the approved list"].denied

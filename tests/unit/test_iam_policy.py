"""The IAM policy evaluator against AWS's documented evaluation logic (IAM User Guide: "Policy evaluation logic",
"IAM JSON policy elements: Condition operators", "Single-valued vs. multivalued condition keys")."""

from __future__ import annotations

import pytest

from notebook_guard_local.fake.iam_policy import Decision, Policy, PolicyError, authorize, condition_holds, evaluate

ROLE = "arn:aws:iam::123456789012:role/x"
NB = "arn:aws:sagemaker:us-east-1:123456789012:notebook-instance/analysis"


def policy(*statements) -> Policy:
    return Policy({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action, resource="*", **extra):
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action, resource="*", **extra):
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def test_nothing_allowed_is_an_implicit_deny():
    assert evaluate([policy()], "s3:GetObject", "arn:aws:s3:::b/k").decision is Decision.IMPLICIT_DENY


def test_an_explicit_deny_wins_over_any_allow():
    result = evaluate([policy(allow("sagemaker:*")), policy(deny("sagemaker:DeleteNotebookInstance", NB))],
                      "sagemaker:DeleteNotebookInstance", NB)
    assert result.decision is Decision.EXPLICIT_DENY
    assert [m.effect for m in result.matched] == ["Deny"]


def test_actions_are_case_insensitive_with_wildcards_and_resources_are_not():
    p = [policy(allow("SageMaker:Describe*", "arn:aws:sagemaker:*:123456789012:notebook-instance/an?lysis"))]
    assert evaluate(p, "sagemaker:describenotebookinstance", NB).allowed
    assert not evaluate(p, "sagemaker:DescribeNotebookInstance", NB.replace("analysis", "Analysis")).allowed
    assert not evaluate(p, "sagemaker:StopNotebookInstance", NB).allowed


def test_not_action_and_not_resource():
    p = [policy({"Effect": "Allow", "NotAction": "iam:*", "NotResource": "arn:aws:s3:::secret/*"})]
    assert evaluate(p, "s3:GetObject", "arn:aws:s3:::open/k").allowed
    assert not evaluate(p, "s3:GetObject", "arn:aws:s3:::secret/k").allowed
    assert not evaluate(p, "iam:PassRole", ROLE).allowed


def test_every_condition_must_hold_and_any_value_of_a_key_matches():
    statement = allow(
        "kms:CreateGrant",
        Condition={
            "StringEquals": {"kms:ViaService": ["sagemaker.us-east-1.amazonaws.com", "ec2.us-east-1.amazonaws.com"]},
            "Bool": {"kms:GrantIsForAWSResource": "true"},
        },
    )
    p = [policy(statement)]
    ok = {"kms:ViaService": "sagemaker.us-east-1.amazonaws.com", "kms:GrantIsForAWSResource": "true"}
    assert evaluate(p, "kms:CreateGrant", "k", ok).allowed
    assert not evaluate(p, "kms:CreateGrant", "k", {**ok, "kms:GrantIsForAWSResource": "false"}).allowed
    missing = evaluate(p, "kms:CreateGrant", "k", {"kms:ViaService": "sagemaker.us-east-1.amazonaws.com"})
    assert missing.decision is Decision.IMPLICIT_DENY and missing.missing_context == ["kms:GrantIsForAWSResource"]


def test_condition_keys_are_case_insensitive_values_case_sensitive():
    assert condition_holds("StringEquals", "IAM:PassedToService", "sagemaker.amazonaws.com",
                           {"iam:passedtoservice": "sagemaker.amazonaws.com"})
    assert not condition_holds("StringEquals", "iam:PassedToService", "SageMaker.amazonaws.com",
                               {"iam:PassedToService": "sagemaker.amazonaws.com"})
    assert condition_holds("StringEqualsIgnoreCase", "k", "ABC", {"k": "abc"})


@pytest.mark.parametrize(
    ("operator", "expected"),
    [
        ("StringEquals", False),  # a key missing from the context: the values do not match
        ("StringLike", False),
        ("ArnLike", False),
        ("StringNotEquals", True),  # ...unless the operator requires that they do not match
        ("StringNotLike", True),
        ("ArnNotLike", True),
        ("StringEqualsIfExists", True),  # ...IfExists: true when the key is absent
        ("ArnLikeIfExists", True),
        ("NumericLessThan", False),
    ],
)
def test_a_missing_key(operator, expected):
    assert condition_holds(operator, "aws:SourceArn", "arn:aws:*", {}) is expected


def test_null_checks_presence():
    assert condition_holds("Null", "sagemaker:VpcSubnets", "true", {})
    assert not condition_holds("Null", "sagemaker:VpcSubnets", "true", {"sagemaker:VpcSubnets": ["subnet-1"]})
    assert condition_holds("Null", "sagemaker:VpcSubnets", "false", {"sagemaker:VpcSubnets": ["subnet-1"]})


def test_arn_operators_match_part_by_part():
    assert condition_holds("ArnLike", "aws:SourceArn", "arn:aws:cloudtrail:*:123456789012:trail/*",
                           {"aws:SourceArn": "arn:aws:cloudtrail:us-east-1:123456789012:trail/t"})
    assert condition_holds("ArnEquals", "aws:SourceArn", "arn:aws:cloudtrail:*:123456789012:trail/*",
                           {"aws:SourceArn": "arn:aws:cloudtrail:us-east-1:123456789012:trail/t"})
    assert not condition_holds("ArnLike", "aws:SourceArn", "arn:aws:cloudtrail:*:123456789012:trail/*",
                               {"aws:SourceArn": "arn:aws:cloudtrail:us-east-1:999999999999:trail/t"})


def test_numeric_date_ip_and_bool():
    assert condition_holds("NumericLessThanEquals", "s3:max-keys", "10", {"s3:max-keys": "10"})
    assert not condition_holds("NumericGreaterThan", "s3:max-keys", "10", {"s3:max-keys": 3})
    assert condition_holds("DateLessThan", "aws:CurrentTime", "2027-01-01T00:00:00Z",
                           {"aws:CurrentTime": "2026-11-27T10:00:00Z"})
    assert condition_holds("IpAddress", "aws:SourceIp", "10.0.0.0/8", {"aws:SourceIp": "10.1.2.3"})
    assert condition_holds("NotIpAddress", "aws:SourceIp", "10.0.0.0/8", {"aws:SourceIp": "192.168.1.1"})
    assert condition_holds("Bool", "aws:SecureTransport", "false", {"aws:SecureTransport": False})


SUBNETS = "sagemaker:VpcSubnets"


@pytest.mark.parametrize(
    ("operator", "context", "expected"),
    [
        # ForAllValues: every value in the request matches one in the policy; true for a missing or empty key.
        ("ForAllValues:StringEquals", {SUBNETS: ["subnet-a"]}, True),
        ("ForAllValues:StringEquals", {SUBNETS: ["subnet-a", "subnet-z"]}, False),
        ("ForAllValues:StringEquals", {}, True),
        ("ForAllValues:StringEquals", {SUBNETS: []}, True),
        # ForAnyValue: at least one value matches; false for a missing key.
        ("ForAnyValue:StringEquals", {SUBNETS: ["subnet-z", "subnet-b"]}, True),
        ("ForAnyValue:StringEquals", {SUBNETS: ["subnet-z"]}, False),
        ("ForAnyValue:StringEquals", {}, False),
        # Negated inside a set operator: each request value is tested against every policy value.
        ("ForAllValues:StringNotEquals", {SUBNETS: ["subnet-z", "subnet-y"]}, True),
        ("ForAllValues:StringNotEquals", {SUBNETS: ["subnet-z", "subnet-a"]}, False),
        ("ForAnyValue:StringNotEquals", {SUBNETS: ["subnet-a", "subnet-z"]}, True),
        ("ForAnyValue:StringLike", {SUBNETS: ["subnet-b"]}, True),
    ],
)
def test_set_operators_on_multivalued_keys(operator, context, expected):
    assert condition_holds(operator, SUBNETS, ["subnet-a", "subnet-b"], context) is expected


def test_an_scp_style_deny_with_null_and_for_all_values():
    """The preventive SCP of issue 16: deny CreateNotebookInstance outside the approved subnets, or without any."""
    scp = policy(
        deny("sagemaker:CreateNotebookInstance", "*", Condition={"Null": {SUBNETS: "true"}}),
        deny("sagemaker:CreateNotebookInstance", "*",
             Condition={"ForAnyValue:StringNotEquals": {SUBNETS: ["subnet-a", "subnet-b"]}}),
        allow("*"),
    )
    identity = [policy(allow("sagemaker:*"))]
    create = "sagemaker:CreateNotebookInstance"
    assert authorize([[scp], identity], create, NB, {SUBNETS: ["subnet-a"]}).allowed
    assert authorize([[scp], identity], create, NB, {}).decision is Decision.EXPLICIT_DENY
    assert authorize([[scp], identity], create, NB, {SUBNETS: ["subnet-z"]}).decision is Decision.EXPLICIT_DENY


def test_every_layer_must_allow():
    boundary = [policy(allow("sagemaker:Describe*"))]
    identity = [policy(allow("sagemaker:*"))]
    assert authorize([identity, boundary], "sagemaker:DescribeNotebookInstance", NB).allowed
    assert authorize([identity, boundary], "sagemaker:DeleteNotebookInstance", NB).decision is Decision.IMPLICIT_DENY


def test_unknown_operators_are_refused_not_guessed():
    with pytest.raises(PolicyError):
        evaluate([policy(allow("*", Condition={"StringSoundsLike": {"k": "v"}}))], "s3:GetObject", "*", {"k": "v"})
    with pytest.raises(PolicyError):
        evaluate([policy({"Effect": "Permit", "Action": "*", "Resource": "*"})], "s3:GetObject", "*")

"""The compliance rules and exemptions (pure)."""

from datetime import date

import pytest

from notebook_guard.domain.evaluation import Policy, evaluate, needs_tags, parse_exemption
from notebook_guard.domain.models import Remedy

TODAY = date(2026, 11, 27)
ARN = "arn:aws:sagemaker:us-east-1:123456789012:notebook-instance/nb"


def describe(**overrides):
    base = {
        "NotebookInstanceName": "nb",
        "NotebookInstanceArn": ARN,
        "NotebookInstanceStatus": "InService",
        "SubnetId": "subnet-0aaa",
        "SecurityGroups": ["sg-0aaa"],
        "DirectInternetAccess": "Disabled",
        "RootAccess": "Disabled",
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def checks(evaluation):
    return [(v.control_id, v.check) for v in evaluation.violations]


def test_compliant_notebook_has_no_violations_and_needs_no_tags():
    nb = describe()
    assert not needs_tags(nb, Policy())
    result = evaluate(nb, None, Policy(), TODAY)
    assert result.compliant and not result.actionable and result.remedy is None


def test_missing_subnet_is_sagemaker_2_and_needs_recreate():
    # Describe omits SubnetId for a notebook in the service VPC; AWS then defaults direct internet to Enabled.
    result = evaluate(describe(SubnetId=None, SecurityGroups=None, DirectInternetAccess="Enabled"), {}, Policy(), TODAY)
    assert checks(result) == [("SageMaker.2", "no-subnet"), ("SageMaker.1", "direct-internet")]
    assert result.remedy is Remedy.RECREATE and result.actionable


def test_empty_subnet_string_counts_as_missing():
    assert checks(evaluate(describe(SubnetId=""), {}, Policy(), TODAY)) == [("SageMaker.2", "no-subnet")]


def test_absent_direct_internet_and_root_fields_mean_enabled():
    result = evaluate(describe(DirectInternetAccess=None, RootAccess=None), {}, Policy(), TODAY)
    assert checks(result) == [("SageMaker.1", "direct-internet"), ("SageMaker.3", "root-access")]


def test_root_access_only_is_fixed_in_place():
    result = evaluate(describe(RootAccess="Enabled"), {}, Policy(), TODAY)
    assert checks(result) == [("SageMaker.3", "root-access")]
    assert result.remedy is Remedy.UPDATE_IN_PLACE


def test_root_access_can_be_allowed_by_policy():
    assert evaluate(describe(RootAccess="Enabled"), None, Policy(require_root_access_disabled=False), TODAY).compliant


def test_subnet_outside_the_approved_list():
    policy = Policy(approved_subnet_ids=frozenset({"subnet-0bbb"}))
    result = evaluate(describe(), {}, policy, TODAY)
    assert checks(result) == [("SageMaker.2", "unapproved-subnet")]
    assert "subnet-0aaa" in result.violations[0].reason
    assert evaluate(describe(SubnetId="subnet-0bbb"), None, policy, TODAY).compliant


def test_violator_without_tags_is_refused():
    with pytest.raises(ValueError, match="tags are required"):
        evaluate(describe(SubnetId=None), None, Policy(), TODAY)


@pytest.mark.parametrize(
    ("tags", "exempt", "problem"),
    [
        ({"notebook-guard:exempt": "vendor demo - ticket SEC-42"}, True, None),
        ({"notebook-guard:exempt": "x", "notebook-guard:exempt-until": "2026-11-27"}, True, None),  # last day
        ({"notebook-guard:exempt": "x", "notebook-guard:exempt-until": "2026-11-26"}, False, "expired on 2026-11-26"),
        ({"notebook-guard:exempt": "x", "notebook-guard:exempt-until": "next tuesday"}, False, "not an ISO date"),
        ({"notebook-guard:exempt": "x", "notebook-guard:exempt-until": "2027-01-01T00:00:00Z"}, True, None),
        ({"notebook-guard:exempt": "   "}, False, "has no reason"),
        ({"team": "a"}, False, None),
    ],
)
def test_exemptions(tags, exempt, problem):
    exemption, why_not = parse_exemption(tags, Policy(), TODAY)
    assert (exemption is not None) is exempt
    if problem:
        assert problem in why_not
    else:
        assert why_not is None


def test_exempt_violator_is_still_reported_but_not_actionable():
    tags = {"notebook-guard:exempt": "approved by CISO", "notebook-guard:exempt-until": "2027-03-31"}
    result = evaluate(describe(SubnetId=None), tags, Policy(), TODAY)
    assert result.violations and result.exempt and not result.actionable
    assert result.to_dict()["exemption"] == {"reason": "approved by CISO", "until": "2027-03-31"}


def test_expired_exemption_makes_the_notebook_actionable_and_says_why():
    tags = {"notebook-guard:exempt": "pilot", "notebook-guard:exempt-until": "2026-01-31"}
    result = evaluate(describe(SubnetId=None), tags, Policy(), TODAY)
    assert result.actionable and not result.exempt
    assert "expired" in result.exemption_problem


def test_custom_exemption_tag():
    policy = Policy(exempt_tag="security:waiver")
    tags = {"security:waiver": "yes", "security:waiver-until": "2020-01-01"}
    result = evaluate(describe(SubnetId=None), tags, policy, TODAY)
    assert not result.exempt
    assert result.exemption_problem == "exemption expired on 2020-01-01"

"""The intake handler against a moto account: the event is a pointer, Describe is the truth."""

from __future__ import annotations

import json

import pytest

from notebook_guard.domain.alerts import parse_alert_body
from notebook_guard.handlers import intake
from tests.conftest import ROOT
from tests.integration.conftest import write_calls

FIXTURES = ROOT / "tests" / "fixtures"
NAME = "ml-feature-exploration"


class Context:
    function_name = "notebook-guard-intake"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:notebook-guard-intake"
    aws_request_id = "req-1"


def cloudtrail_event(**request_overrides):
    event = json.loads((FIXTURES / "cloudtrail_create_notebook.json").read_text())
    event["detail"]["requestParameters"].update(request_overrides)
    return event


def state_change_event(status="InService"):
    event = json.loads((FIXTURES / "notebook_state_change.json").read_text())
    event["detail"]["NotebookInstanceStatus"] = status
    return event


def test_cloudtrail_create_without_subnet_starts_the_workflow(account, configure, api_calls):
    account.create_notebook(NAME)
    state_machine = account.create_state_machine()
    configure(NG_STATE_MACHINE_ARN=state_machine, NG_ALERT_TOPIC_ARN=account.topic_arn)

    result = intake.handler(cloudtrail_event(), Context())

    assert result["outcome"] == "workflow-started"
    assert [v["control_id"] for v in result["evaluation"]["violations"]] == ["SageMaker.2", "SageMaker.1"]
    executions = account.sfn.list_executions(stateMachineArn=state_machine)["executions"]
    assert len(executions) == 1
    payload = json.loads(account.sfn.describe_execution(executionArn=executions[0]["executionArn"])["input"])
    assert payload["notebook_name"] == NAME and payload["action"] == "remediate" and payload["trigger"] == "create"
    assert payload["source"]["cloudtrail_event_id"] == "7e9f1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b"
    assert payload["announced"] is True  # the workflow owes a closing alert
    # The event is only a pointer: the handler read the notebook itself, and its tags to check exemptions.
    assert ("sagemaker", "DescribeNotebookInstance") in api_calls
    assert ("sagemaker", "ListTags") in api_calls
    # The lease first (naming the execution about to start), then the start, then the alert.
    assert write_calls(api_calls) == [
        ("dynamodb", "UpdateItem"),
        ("stepfunctions", "StartExecution"),
        ("sns", "Publish"),
    ]
    assert executions[0]["name"].startswith(f"create-{NAME}-")
    # The security team hears of it at once, not only when the remediation ends.
    (alert,) = account.alerts()
    document = parse_alert_body(alert["body"])
    assert document["kind"] == "remediation-started"
    assert document["execution_id"] == result["execution_arn"]
    assert alert["subject"].endswith("caught, remediation started")


def test_duplicate_events_collapse_into_one_execution(account, configure):
    account.create_notebook(NAME)
    state_machine = account.create_state_machine()
    configure(NG_STATE_MACHINE_ARN=state_machine)

    first = intake.handler(cloudtrail_event(), Context())
    second = intake.handler(state_change_event("Pending"), Context())
    third = intake.handler(state_change_event("InService"), Context())

    assert first["outcome"] == "workflow-started"
    # The first execution holds the notebook's lease and is running: the others are duplicates naming it.
    assert second["outcome"] == third["outcome"] == "duplicate"
    assert second["execution_arn"] == third["execution_arn"] == first["execution_arn"]
    assert len(account.sfn.list_executions(stateMachineArn=state_machine)["executions"]) == 1


def test_a_restart_of_an_old_notebook_gets_the_restart_action(account, configure):
    account.create_notebook(NAME)
    state_machine = account.create_state_machine()
    configure(NG_STATE_MACHINE_ARN=state_machine, NG_SWEEP_ACTION="quarantine")
    event = state_change_event("Pending")
    event["time"] = "2099-01-01T00:00:00Z"  # long after the notebook's creation: its owner started it again

    result = intake.handler(event, Context())

    assert (result["outcome"], result["trigger"], result["action"]) == ("workflow-started", "restart", "quarantine")
    (execution,) = account.sfn.list_executions(stateMachineArn=state_machine)["executions"]
    assert json.loads(account.sfn.describe_execution(executionArn=execution["executionArn"])["input"])["trigger"] == (
        "restart"
    )


@pytest.mark.parametrize(("key", "value"), [("account", "210987654321"), ("region", "eu-west-1")])
def test_an_event_of_another_account_or_region_is_ignored(account, configure, api_calls, capsys, key, value):
    account.create_notebook(NAME)
    configure(NG_STATE_MACHINE_ARN=account.create_state_machine())
    event = state_change_event()
    event[key] = value

    result = intake.handler(event, Context())

    assert result["outcome"] == "ignored" and value in result["reason"]
    assert api_calls == []
    metrics = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert metrics[-1]["InvalidEvents"] == [1.0]


def test_event_that_claims_a_subnet_is_judged_by_describe(account, configure):
    # The record carries a subnetId but the notebook as it exists is compliant: nothing to do.
    account.create_notebook(NAME, in_vpc=True)
    configure(NG_ALERT_TOPIC_ARN=account.topic_arn)

    result = intake.handler(cloudtrail_event(subnetId=account.subnet_id, securityGroupIds=[account.sg_id]), Context())

    assert result["outcome"] == "compliant"
    assert account.alerts() == []


def test_event_with_subnet_but_root_access_is_still_a_violation(account, configure):
    account.create_notebook(NAME, in_vpc=True, root="Enabled")
    configure(NG_ALERT_TOPIC_ARN=account.topic_arn)

    result = intake.handler(cloudtrail_event(subnetId=account.subnet_id), Context())

    assert result["outcome"] == "alerted"
    assert result["evaluation"]["remedy"] == "update_in_place"


def test_without_a_workflow_the_violation_is_alerted_directly(account, configure, api_calls):
    account.create_notebook(NAME, tags={"team": "fraud-analytics"})
    configure(NG_ALERT_TOPIC_ARN=account.topic_arn)

    result = intake.handler(state_change_event(), Context())

    assert result["outcome"] == "alerted"
    (alert,) = account.alerts()
    assert len(alert["subject"]) < 100 and NAME in alert["subject"]
    document = parse_alert_body(alert["body"])
    assert document["notebook"] == {
        "name": NAME,
        "arn": f"arn:aws:sagemaker:us-east-1:123456789012:notebook-instance/{NAME}",
    }
    assert document["account"] == "123456789012" and document["region"] == "us-east-1"
    assert document["control_ids"] == ["SageMaker.1", "SageMaker.2"]
    assert document["exempt"] is False and document["action"] == "remediate"
    assert write_calls(api_calls) == [("sns", "Publish")]


def test_exempt_notebook_is_reported_exempt_and_left_alone(account, configure, api_calls):
    account.create_notebook(NAME, tags={"notebook-guard:exempt": "vendor demo until the audit - SEC-42"})
    configure(NG_STATE_MACHINE_ARN=account.create_state_machine(), NG_ALERT_TOPIC_ARN=account.topic_arn)

    result = intake.handler(cloudtrail_event(), Context())

    assert result["outcome"] == "exempt"
    assert result["evaluation"]["exempt"] is True
    assert result["evaluation"]["violations"], "an exempt notebook is still reported with its violations"
    # The first time the exemption is honoured, the team is told once; nothing else is written.
    assert write_calls(api_calls) == [("dynamodb", "UpdateItem"), ("sns", "Publish")]
    (alert,) = account.alerts()
    document = parse_alert_body(alert["body"])
    assert document["kind"] == "exempt" and "vendor demo until the audit" in alert["body"]
    assert intake.handler(state_change_event(), Context())["exemption_announced"] == "before"
    assert account.alerts() == []


def test_expired_exemption_is_not_honoured(account, configure):
    account.create_notebook(
        NAME, tags={"notebook-guard:exempt": "pilot", "notebook-guard:exempt-until": "2020-06-30"}
    )
    configure(NG_ALERT_TOPIC_ARN=account.topic_arn)

    result = intake.handler(cloudtrail_event(), Context())

    assert result["outcome"] == "alerted"
    assert result["evaluation"]["exemption_problem"] == "exemption expired on 2020-06-30"
    (alert,) = account.alerts()
    assert "Exemption tag NOT honoured: exemption expired on 2020-06-30." in alert["body"]
    assert parse_alert_body(alert["body"])["details"]["exemption_problem"] == "exemption expired on 2020-06-30"


def test_notebook_deleted_between_event_and_describe(account, configure, api_calls):
    configure(NG_STATE_MACHINE_ARN=account.create_state_machine(), NG_ALERT_TOPIC_ARN=account.topic_arn)

    result = intake.handler(cloudtrail_event(), Context())

    assert result == {"outcome": "gone", "notebook_name": NAME}
    assert write_calls(api_calls) == []


def test_failed_api_call_is_ignored_without_touching_aws(account, configure, api_calls, log_lines, capsys):
    configure(NG_ALERT_TOPIC_ARN=account.topic_arn)
    event = cloudtrail_event()
    event["detail"]["errorCode"] = "ValidationException"

    result = intake.handler(event, Context())

    assert result["outcome"] == "ignored" and "failed" in result["reason"]
    assert api_calls == []
    (warning,) = [line for line in log_lines() if line["level"] == "WARNING"]
    assert warning["message"] == "Ignoring event" and "ValidationException" in warning["reason"]
    metrics = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert metrics[-1]["InvalidEvents"] == [1.0]
    assert metrics[-1]["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "NotebookGuard"


def test_transient_aws_errors_propagate_so_eventbridge_retries(account, configure, monkeypatch):
    from botocore.exceptions import ClientError

    from notebook_guard.aws import sagemaker

    def throttled(*_args, **_kwargs):
        raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, "Describe")

    monkeypatch.setattr(sagemaker, "describe_notebook", throttled)
    configure(NG_ALERT_TOPIC_ARN=account.topic_arn)
    with pytest.raises(ClientError, match="Rate exceeded"):
        intake.handler(cloudtrail_event(), Context())


def test_correlation_id_is_the_event_id(account, configure, log_lines):
    account.create_notebook(NAME, in_vpc=True)
    configure()
    intake.handler(cloudtrail_event(), Context())
    logged = [line for line in log_lines() if line.get("message") == "Notebook evaluated"]
    assert logged and logged[0]["correlation_id"] == "3f6b2c1e-9a51-4d8e-b2f7-5c0d4e6a7b81"


def test_a_start_that_fails_releases_the_lease_and_raises_for_eventbridge_to_retry(account, configure, monkeypatch):
    from botocore.exceptions import ClientError

    from notebook_guard.aws import stepfunctions

    account.create_notebook(NAME)
    state_machine = account.create_state_machine()
    configure(NG_STATE_MACHINE_ARN=state_machine)

    def refused(*_args, **_kwargs):
        raise ClientError({"Error": {"Code": "ServiceUnavailable", "Message": "try later"}}, "StartExecution")

    monkeypatch.setattr(stepfunctions, "start_execution", refused)
    with pytest.raises(ClientError, match="try later"):
        intake.handler(cloudtrail_event(), Context())
    monkeypatch.undo()
    configure(NG_STATE_MACHINE_ARN=state_machine)
    # Released: EventBridge's retry of the same event starts the workflow.
    assert intake.handler(cloudtrail_event(), Context())["outcome"] == "workflow-started"

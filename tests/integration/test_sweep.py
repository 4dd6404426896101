"""The scheduled sweep over a realistic account of a few hundred notebooks."""

from __future__ import annotations

from collections import Counter

from notebook_guard.aws import sagemaker
from notebook_guard.handlers import sweep
from tests.integration.conftest import write_calls


class Context:
    function_name = "notebook-guard-sweep"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:notebook-guard-sweep"
    aws_request_id = "req-sweep"


def seed(account):
    """240 notebooks: 80 compliant, 100 outside any VPC, 30 exempt, 20 root-only, 10 with an expired exemption."""
    kinds = {}
    for i in range(80):
        kinds[account_create(account, f"ok-{i}", in_vpc=True)] = "compliant"
    for i in range(100):
        kinds[account_create(account, f"outside-{i}", tags={"team": "ds"})] = "violating"
    for i in range(30):
        kinds[account_create(account, f"exempt-{i}", tags={"notebook-guard:exempt": "partner lab"})] = "exempt"
    for i in range(20):
        kinds[account_create(account, f"root-{i}", in_vpc=True, root="Enabled")] = "violating"
    expired = {"notebook-guard:exempt": "pilot", "notebook-guard:exempt-until": "2021-01-01"}
    for i in range(10):
        kinds[account_create(account, f"expired-{i}", tags=expired)] = "violating"
    return kinds


def account_create(account, name, **kwargs):
    account.create_notebook(name, **kwargs)
    return name


def test_sweep_flags_exactly_the_violators_and_hands_them_on(account, configure, api_calls):
    kinds = seed(account)
    state_machine = account.create_state_machine()
    configure(NG_STATE_MACHINE_ARN=state_machine, NG_SWEEP_CONCURRENCY="8")
    api_calls.clear()

    summary = sweep.handler({"detail-type": "Scheduled Event", "id": "sched-1"}, Context())

    expected = Counter(kinds.values())
    counts = summary["counts"]
    assert counts["listed"] == counts["evaluated"] == 240
    assert counts["compliant"] == expected["compliant"] == 80
    assert counts["exempt"] == expected["exempt"] == 30
    assert counts["violating"] == expected["violating"] == 130
    assert summary["handed_on"] == {"workflow-started": 130} and "errors" not in counts
    assert summary["action"] == "notify"

    executions = account.sfn.list_executions(stateMachineArn=state_machine, maxResults=1000)["executions"]
    assert len(executions) == 130
    calls = Counter(op for _, op in api_calls)
    # Minimum calls: 3 list pages (100 a page), one Describe each, tags only where an exemption may apply.
    assert calls["ListNotebookInstances"] == 3
    assert calls["DescribeNotebookInstance"] == 240
    assert calls["ListTags"] == 160
    assert calls["StartExecution"] == 130
    # One lease per notebook: read, then written conditionally before each start.
    assert calls["GetItem"] == calls["UpdateItem"] == 130
    assert {op for _, op in write_calls(api_calls)} == {"StartExecution", "UpdateItem"}


def test_a_second_sweep_does_not_start_new_executions(account, configure):
    seed(account)
    state_machine = account.create_state_machine()
    configure(NG_STATE_MACHINE_ARN=state_machine)
    first = sweep.handler({}, Context())
    second = sweep.handler({}, Context())
    assert first["handed_on"] == {"workflow-started": 130}
    # The first sweep's executions still run (this moto account does not execute them): they hold the leases.
    assert second["handed_on"] == {"duplicate": 130}


def test_the_sweep_realerts_a_violator_once_a_day_not_every_hour(account, configure):
    from notebook_guard.aws import dynamodb
    from notebook_guard.services.coordination import LEASE, notebook_key

    account.create_notebook("outside-1")
    state_machine = account.create_state_machine()
    configure(NG_STATE_MACHINE_ARN=state_machine)
    assert sweep.handler({}, Context())["handed_on"] == {"workflow-started": 1}
    arn = "arn:aws:sagemaker:us-east-1:123456789012:notebook-instance/outside-1"
    # The notify execution ended and released the lease; an hour later the sweep comes again.
    dynamodb.update_item(account.coordination_table, notebook_key(arn, LEASE), set_values={"held": False})
    assert sweep.handler({}, Context())["handed_on"] == {"already-notified": 1}
    assert len(account.sfn.list_executions(stateMachineArn=state_machine)["executions"]) == 1


def test_one_notebooks_error_is_reported_and_the_sweep_goes_on(account, configure, monkeypatch):
    from botocore.exceptions import ClientError

    for i in range(5):
        account.create_notebook(f"outside-{i}")
    configure(NG_ALERT_TOPIC_ARN=account.topic_arn)
    real = sagemaker.describe_notebook

    def flaky(name, region=None):
        if name == "outside-2":
            raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "not allowed"}}, "Describe")
        return real(name, region)

    monkeypatch.setattr(sagemaker, "describe_notebook", flaky)
    summary = sweep.handler({}, Context())

    assert summary["counts"]["errors"] == 1 and summary["counts"]["evaluated"] == 4
    assert summary["errors"] == [{"notebook_name": "outside-2", "error": "AccessDeniedException: not allowed"}]
    assert len(account.alerts()) == 4  # no workflow configured: each violator alerted directly


def test_sweep_of_an_empty_account(account, configure):
    configure()
    summary = sweep.handler({}, Context())
    assert summary["counts"] == {} and summary["handed_on"] == {}

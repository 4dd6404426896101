"""The resume function on its own (moto, its role's policy enforced): the event is a hint, Describe is the truth, a
wait is answered once, bad input and stale records change nothing, and a token is never logged."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from notebook_guard.aws import dynamodb
from notebook_guard.domain.callbacks import WaitRecord
from notebook_guard.domain.errors import TransientAwsError
from notebook_guard.domain.waits import WaitSchedule
from notebook_guard.handlers import resume
from notebook_guard.services import callbacks
from notebook_guard.services.coordination import notebook_key
from tests.conftest import ACCOUNT, REGION

TOKEN = "TOKEN-" + "x" * 40


@pytest.fixture(autouse=True)
def as_resume_role(monkeypatch):
    from notebook_guard.permissions import principals
    from notebook_guard_local.roles import RESUME_ROLE, detection_names, running_as

    monkeypatch.setattr(resume, "process", running_as(principals.RESUME, RESUME_ROLE, detection_names)(resume.process))


def event(account, name: str, status: str = "InService", **overrides) -> dict:
    arn = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:notebook-instance/{name}"
    return {
        "version": "0",
        "id": "e1",
        "detail-type": "SageMaker Notebook Instance State Change",
        "source": "aws.sagemaker",
        "account": ACCOUNT,
        "time": "2026-11-27T09:16:41Z",
        "region": REGION,
        "resources": [arn],
        "detail": {"NotebookInstanceArn": arn, "NotebookInstanceName": name, "NotebookInstanceStatus": status},
        **overrides,
    }


def register(settings, name: str, until: str = "in-service", incarnation: str | None = None, now: int | None = None):
    described = callbacks.sagemaker.describe_notebook(name, REGION)
    fallback = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:notebook-instance/{name}"
    arn = described["NotebookInstanceArn"] if described else fallback
    waits = callbacks.Waits(settings)
    record = WaitRecord.new(
        notebook_arn=arn,
        notebook_name=name,
        until=until,
        execution_id="arn:aws:states:us-east-1:123456789012:execution:m:run",
        incarnation=incarnation,
        token=TOKEN + name,
        now=waits.now() if now is None else now,
        schedule=WaitSchedule(),
    )
    waits.register(record)
    return record


def stored(account, record) -> dict | None:
    return dynamodb.get_item(account.coordination_table, notebook_key(record.notebook_arn, "wait"), REGION)


def test_a_wait_whose_notebook_is_there_is_answered_and_forgotten(account, configure, api_calls):
    settings = configure()
    account.create_notebook("ready")  # moto: InService at once
    record = register(settings, "ready")
    api_calls.clear()
    result = resume.process(event(account, "ready", status="Pending"), ACCOUNT)  # the event's status is a hint only
    # moto without executions accepts any token (AWS would say InvalidToken, taken as done: see test_callbacks.py).
    assert result["outcome"] in (callbacks.COMPLETED, callbacks.ALREADY_CLOSED) and result["until"] == "in-service"
    assert ("stepfunctions", "SendTaskSuccess") in api_calls and stored(account, record) is None


def test_an_event_without_a_wait_costs_one_read(account, configure, api_calls):
    configure()
    account.create_notebook("unwatched")
    api_calls.clear()
    assert resume.process(event(account, "unwatched"), ACCOUNT)["outcome"] == "no-wait"
    assert api_calls == [("dynamodb", "GetItem")]


def test_another_incarnation_of_the_name_is_not_answered(account, configure, api_calls):
    settings = configure()
    account.create_notebook("reborn")
    record = register(settings, "reborn", until="stable", incarnation="2020-01-01T00:00:00+00:00")
    api_calls.clear()
    assert resume.process(event(account, "reborn"), ACCOUNT)["outcome"] == callbacks.OTHER_INCARNATION
    assert ("stepfunctions", "SendTaskSuccess") not in api_calls and stored(account, record) is not None


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda e: e.update({"detail-type": "Something Else"}), "unrelated event"),
        (lambda e: e.update({"region": "eu-west-1"}), "region eu-west-1"),
        (lambda e: e.update({"account": "999999999999"}), "account 999999999999"),
        (lambda e: e["detail"].update({"NotebookInstanceName": "bad name!"}), "malformed"),
        (lambda e: (e["detail"].pop("NotebookInstanceArn"), e.update({"resources": []})), "no notebook instance ARN"),
    ],
)
def test_bad_events_are_ignored_with_their_reason(account, configure, api_calls, mutate, reason):
    configure()
    bad = event(account, "whatever")
    mutate(bad)
    api_calls.clear()
    result = resume.process(bad, ACCOUNT)
    assert result["outcome"] == "ignored" and reason in result["reason"]
    assert api_calls == []


def test_the_reconciler_resolves_every_wait_and_then_raises_a_transient_error(account, configure, monkeypatch):
    settings = configure()
    for name in ("first", "second", "third"):
        account.create_notebook(name)
    records = [register(settings, name) for name in ("first", "second", "third")]
    expired = register(settings, "gone-long-ago", until="gone", now=1)  # expired long ago: forgotten
    original = callbacks.sagemaker.describe_notebook

    def throttled_for_second(name, region=None):
        if name == "second":
            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "Describe")
        return original(name, region)

    monkeypatch.setattr(callbacks.sagemaker, "describe_notebook", throttled_for_second)
    schedule = {"detail-type": "Scheduled Event", "source": "aws.events", "account": ACCOUNT, "region": REGION}
    with pytest.raises(TransientAwsError):
        resume.process(schedule, ACCOUNT)
    assert stored(account, records[0]) is None and stored(account, records[2]) is None
    assert stored(account, records[1]) is not None  # retried with the invocation
    assert stored(account, expired) is None


def test_tokens_never_reach_the_logs(account, configure, log_lines):
    settings = configure()
    account.create_notebook("quiet")
    record = register(settings, "quiet", until="stable", incarnation="2020-01-01T00:00:00+00:00")
    resume.process(event(account, "quiet"), ACCOUNT)  # logged: the wait, without its token
    schedule = {"detail-type": "Scheduled Event", "source": "aws.events", "account": ACCOUNT, "region": REGION}
    resume.process(schedule, ACCOUNT)
    lines = log_lines()
    assert any(line.get("wait", {}).get("notebook_name") == "quiet" for line in lines)
    assert record.token not in str(lines)


def test_a_new_wait_replaces_the_last_one_whole(account, configure):
    settings = configure()
    account.create_notebook("successive")
    register(settings, "successive", until="stopped", incarnation="2026-11-27T09:00:00+00:00")
    latest = register(settings, "successive", until="gone")
    found = callbacks.Waits(settings).find(latest.notebook_arn)
    assert found == latest and found.incarnation is None  # nothing of the stop's wait survives
